/**
 * The records of a detached container's log (`ctr.log`), in the CRI /
 * conmon k8s-file format that podman reads: one record a line,
 * `TIME STREAM TAG CONTENT\n`, where TIME is RFC 3339 with nine fraction
 * digits in UTC (`2026-12-07T18:55:00.123456789Z`), STREAM is `stdout` or
 * `stderr`, and TAG is `F` for a whole line or `P` for a part of one (the
 * guest wrote no newline yet, or the line is longer than one record may be).
 * Every record ends with a newline, so the capped log (log_file.ts) rotates
 * between records, and the cap counts the records, as podman's
 * `--log-opt max-size` counts its log file.
 *
 * `TimedLog` formats a guest's writes into records; `RecordReader` turns
 * records back into the guest's bytes with each line's time. A line that is
 * not a record (a log written by an older wasmvisor: raw output) is read as
 * output without a time.
 */
import { RotatingLog, type LogFileSpec } from './log_file.js';

/** Which of the guest's outputs a record holds. */
export type LogStream = 'stdout' | 'stderr';

/** Most content bytes in one record: a longer line is cut into `P` records. */
export const MAX_RECORD_CONTENT = 16 * 1024;

/** Nanoseconds since the epoch now: Date's milliseconds at load, advanced by the monotonic clock. */
const EPOCH_NS_AT_LOAD = BigInt(Date.now()) * 1_000_000n;
const HR_AT_LOAD = process.hrtime.bigint();

/** Nanoseconds since the Unix epoch (a monotonic clock anchored to the wall clock once). */
export function nowNs(): bigint {
  return EPOCH_NS_AT_LOAD + (process.hrtime.bigint() - HR_AT_LOAD);
}

/** `ns` (since the epoch) as RFC 3339 in UTC with nine fraction digits, as a record's TIME. */
export function recordTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** A capped log that takes the guest's writes as timed records (see the file's comment). */
export class TimedLog {
  private readonly log: RotatingLog;
  private readonly maxContent: number;

  constructor(spec: LogFileSpec) {
    this.log = new RotatingLog(spec);
    // a record never exceeds a quarter of the cap, so rotation always cuts between records
    this.maxContent = Math.max(64, Math.min(MAX_RECORD_CONTENT, Math.floor(spec.maxSize / 4) - 48));
  }

  /** Append `data` that `stream` wrote now, as records (one write of the log file). */
  write(data: Uint8Array, stream: LogStream = 'stdout'): void {
    if (data.byteLength === 0) return;
    this.log.write(formatRecords(data, stream, recordTime(nowNs()), this.maxContent));
  }

  /** Close the file. */
  close(): void {
    this.log.close();
  }
}

/** `data` as records stamped `time`: a record per line, `P` for a part without its newline. */
export function formatRecords(data: Uint8Array, stream: LogStream, time: string, maxContent = MAX_RECORD_CONTENT): Buffer {
  const head = Buffer.from(`${time} ${stream} F `);
  const tag = head.length - 2; // where F or P goes
  const n = data.byteLength;
  // byte loops, not indexOf/copy per line: a guest's lines are short, and a native call per line costs more than the bytes
  let newlines = 0;
  for (let i = 0; i < n; i++) if (data[i] === 0x0a) newlines++;
  const out = Buffer.allocUnsafe(n + (newlines + 1 + Math.ceil(n / maxContent)) * (head.length + 1));
  let at = 0;
  let i = 0;
  while (i < n) {
    const recordStart = at;
    for (let k = 0; k < head.length; k++) out[at++] = head[k]!;
    const limit = Math.min(n, i + maxContent);
    let whole = false;
    while (i < limit) {
      const c = data[i++]!;
      if (c === 0x0a) {
        whole = true;
        break;
      }
      out[at++] = c;
    }
    out[recordStart + tag] = whole ? 0x46 : 0x50; // F, P
    out[at++] = 0x0a;
    // a line exactly maxContent long ends here with its newline next: that newline is the record's
    if (!whole && i < n && data[i] === 0x0a && i === limit) {
      out[recordStart + tag] = 0x46;
      i++;
    }
  }
  return out.subarray(0, at);
}

/** A record's content as read back: a whole line, or a part of one, with when its line began. */
export interface LogPiece {
  /** Nanoseconds since the epoch when the line this piece belongs to began; undefined for a raw line of an older log. */
  ns?: bigint;
  stream: LogStream;
  /** Its bytes, with the newline when it ends its line. */
  data: Buffer;
  /** True if it begins a line (the time is printed before it by logs -t). */
  first: boolean;
}

const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) /;

/** Nanoseconds since the epoch of an RFC 3339 time (a record's TIME or a --since value). */
export function parseRfc3339Ns(t: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Reads records as they come (whole records only: a record still being
 * written waits for its newline) and gives back their contents as pieces;
 * a `P` part and the parts after it carry the time their line began.
 */
export class RecordReader {
  private pending = Buffer.alloc(0);
  /** Per stream, the start time of a line whose last part was a `P` (still open). */
  private readonly open = new Map<LogStream, bigint | undefined>();

  /** Feed the next bytes of the file; `emit` gets each record's content. */
  push(chunk: Uint8Array, emit: (p: LogPiece) => void): void {
    const all = this.pending.length ? Buffer.concat([this.pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    let start = 0;
    for (;;) {
      const end = all.indexOf(0x0a, start);
      if (end < 0) break;
      this.record(all.subarray(start, end), emit);
      start = end + 1;
    }
    this.pending = Buffer.from(all.subarray(start));
  }

  /**
   * Feed the next bytes of the file and give the guest's bytes back, times
   * dropped (logs without -t, --since, --until, --tail): one byte loop, no
   * allocation per record, so a follower keeps up with a writer. `write`
   * gets each run of bytes one stream wrote, in the order they were logged.
   */
  pushPlain(chunk: Uint8Array, write: (stream: LogStream, bytes: Buffer) => void): void {
    const all = this.pending.length ? Buffer.concat([this.pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    const out = Buffer.allocUnsafe(all.length);
    let at = 0;
    let runStart = 0;
    let runStream: LogStream = 'stdout';
    let i = 0;
    let rest = 0;
    while (i < all.length) {
      const start = i;
      // a record's head: DATE T TIME, a space, stdout|stderr, a space, F|P, a space
      let content = start;
      let whole = true;
      let stream: LogStream = 'stdout';
      if (all[start + 4] === 0x2d && all[start + 10] === 0x54) {
        let sp = 0;
        let j = start;
        let firstSp = -1;
        const end = Math.min(all.length, start + 64);
        for (; j < end && sp < 3; j++) {
          if (all[j] !== 0x20) continue;
          if (sp++ === 0) firstSp = j;
        }
        if (sp === 3 && (all[j - 2] === 0x46 || all[j - 2] === 0x50)) {
          content = j;
          whole = all[j - 2] === 0x46;
          if (all[firstSp + 4] === 0x65) stream = 'stderr'; // std[e]rr
        }
      }
      let k = content;
      while (k < all.length && all[k] !== 0x0a) k++;
      if (k >= all.length) {
        rest = start; // a record still being written
        break;
      }
      if (stream !== runStream) {
        if (at > runStart) write(runStream, out.subarray(runStart, at));
        runStart = at;
        runStream = stream;
      }
      for (let b = content; b < k; b++) out[at++] = all[b]!;
      if (whole) out[at++] = 0x0a;
      i = k + 1;
      rest = i;
    }
    if (at > runStart) write(runStream, out.subarray(runStart, at));
    this.pending = Buffer.from(all.subarray(rest));
  }

  /** The file ended (its writer stopped): give out a last record without its newline (to `emit`, or returned for pushPlain's caller). */
  flush(emit: (p: LogPiece) => void): void {
    if (this.pending.length) this.record(this.pending, emit);
    this.pending = Buffer.alloc(0);
  }

  private record(rec: Buffer, emit: (p: LogPiece) => void): void {
    const m = RECORD.exec(rec.subarray(0, 64).toString('latin1'));
    if (!m) {
      emit({ stream: 'stdout', data: Buffer.concat([rec, Buffer.from('\n')]), first: true });
      return;
    }
    const stream = m[2] as LogStream;
    const content = rec.subarray(m[0].length);
    const first = !this.open.has(stream);
    const ns = first ? parseRfc3339Ns(m[1]!) : this.open.get(stream);
    if (m[3] === 'P') {
      this.open.set(stream, ns);
      emit({ ns, stream, data: Buffer.from(content), first });
    } else {
      this.open.delete(stream);
      emit({ ns, stream, data: Buffer.concat([content, Buffer.from('\n')]), first });
    }
  }
}
