/**
 * The log file of a `wasmvisor run -d` container (`ctr.log`), capped: the
 * guest must not make the host write unbounded disk. When a write would
 * take `ctr.log` past `maxSize` bytes, it is renamed to `ctr.log.1`
 * (replacing the one before) and a fresh `ctr.log` begins, so at most
 * 2 × maxSize bytes are on disk and the newest maxSize to 2 × maxSize bytes
 * are kept (a single write larger than maxSize keeps its last maxSize
 * bytes). The write that overflows is cut after its last newline that still
 * fits, so that a line-oriented log rotates between lines. Writes are synchronous: the guest's output listener returns only
 * once the bytes are on disk, so the Sentry's output window holds the guest
 * back when it writes faster than the disk, and no memory piles up here.
 *
 * Readers (`wasmvisor logs -f`) follow across a rotation by the file's
 * identity: the fd they hold still reads the renamed file to its end.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

/** Suffix of the rotated log beside the live one. */
export const ROTATED_SUFFIX = '.1';

/** Default cap of `ctr.log` (10 MiB; at most twice that on disk with `ctr.log.1`). */
export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;

/** A container's log file and its cap, as `run -d` passes them to the sandbox process. */
export interface LogFileSpec {
  /** Absolute path of `ctr.log`. */
  path: string;
  /** Bytes `ctr.log` never exceeds. */
  maxSize: number;
}

/** A size-capped log that rotates once to `PATH.1`. */
export class RotatingLog {
  private fd: number;
  private size: number;
  /** Bytes of the live file up to and including its last newline (the rest is a line still being written). */
  private lineEnd: number;
  /** True once a write failed for good (a full disk): later output is dropped, as a closed pipe's. */
  private broken = false;

  constructor(private readonly spec: LogFileSpec) {
    if (!(spec.maxSize > 0)) throw new RangeError(`log max size must be positive, got ${spec.maxSize}`);
    this.fd = openSync(spec.path, 'a+', 0o600);
    this.size = fstatSync(this.fd).size;
    this.lineEnd = this.size;
  }

  /** Append `data` (stdout and stderr alike), rotating first when it would not fit. */
  write(data: Uint8Array): void {
    if (this.broken || data.byteLength === 0) return;
    const max = this.spec.maxSize;
    try {
      let rest = data;
      if (this.size > 0 && this.size + rest.byteLength > max) {
        const nl = rest.subarray(0, max - this.size).lastIndexOf(0x0a);
        if (nl >= 0) {
          this.append(rest.subarray(0, nl + 1));
          rest = rest.subarray(nl + 1);
        } else if (this.lineEnd < this.size) {
          // the live file ends inside a line that this write continues: that start of the line moves to
          // the new file when it fits there, and is dropped otherwise; ctr.log.1 keeps whole lines only
          const carry = Buffer.alloc(this.size - this.lineEnd);
          if (carry.byteLength + rest.byteLength <= max) {
            readSync(this.fd, carry, 0, carry.byteLength, this.lineEnd);
            rest = Buffer.concat([carry, rest]);
          }
          ftruncateSync(this.fd, this.lineEnd);
          this.size = this.lineEnd;
        }
        this.rotate();
      }
      if (rest.byteLength > max) {
        // one write larger than the cap keeps its last bytes, from the first line that starts in them
        let tail = rest.subarray(rest.byteLength - max);
        const first = tail.indexOf(0x0a);
        if (first >= 0 && first + 1 < tail.byteLength) tail = tail.subarray(first + 1);
        rest = tail;
      }
      this.append(rest);
    } catch {
      this.broken = true; // ENOSPC, EIO: the container keeps running, its output is lost
    }
  }

  /** Write all of `part` to the live file. */
  private append(part: Uint8Array): void {
    let off = 0;
    while (off < part.byteLength) off += writeSync(this.fd, part, off, part.byteLength - off);
    const nl = part.lastIndexOf(0x0a);
    if (nl >= 0) this.lineEnd = this.size + nl + 1;
    this.size += part.byteLength;
  }

  /** `PATH` becomes `PATH.1` (replacing it); a new empty `PATH` takes the writes. */
  private rotate(): void {
    renameSync(this.spec.path, this.spec.path + ROTATED_SUFFIX);
    const fresh = openSync(this.spec.path, 'a+', 0o600);
    closeSync(this.fd);
    this.fd = fresh;
    this.size = 0;
    this.lineEnd = 0;
  }

  /** Close the file. */
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
