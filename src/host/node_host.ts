/**
 * The Node implementation of the kernel's `Host`: clocks from
 * `process.hrtime`, randomness from WebCrypto, sleeping with `Atomics.wait`
 * on a private SharedArrayBuffer (no spinning), and the console: stdout and
 * stderr written with `fs.writeSync`, stdin read with `fs.readSync(0)` when
 * the guest asks (nothing is read ahead).
 */
import { readSync, writeSync } from 'node:fs';
import { E } from '../../kernel/errno.js';
import type { Host, HostFs } from '../../kernel/host.js';
import type { ConsoleSink, ConsoleSource } from '../../kernel/task/console.js';
import { TimedStdinReader } from './node_stdin.js';
import { isTerminal } from './node_tty.js';
import { CaptureBuffer, DEFAULT_CAPTURE_LIMIT } from './web_streams.js';

const origin = process.hrtime.bigint();
const epochAtOrigin = BigInt(Date.now()) * 1_000_000n;

/** Options of the Node host. */
export interface NodeHostOptions {
  hostfs?: HostFs;
  /** Where kernel bugs are reported (default: stderr). */
  logBug?: (message: string, err: unknown) => void;
}

/** Block this thread for `ms` milliseconds without spinning. */
function sleepMs(cell: Int32Array, ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

/** A `Host` for Node. */
export function createNodeHost(opts: NodeHostOptions = {}): Host {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return {
    realtimeNs: () => epochAtOrigin + (process.hrtime.bigint() - origin),
    monotonicNs: () => process.hrtime.bigint(),
    cpuTimeNs: () => {
      const u = process.cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    },
    randomFill: (buf) => {
      crypto.getRandomValues(buf);
    },
    sleepSync: (ns) => sleepMs(cell, Number(ns) / 1e6),
    hostfs: opts.hostfs,
    logBug: opts.logBug ?? ((message, err) => {
      const detail = err instanceof Error ? err.stack ?? err.message : String(err);
      process.stderr.write(`wasmvisor: kernel bug: ${terminalSafe(message)}: ${terminalSafe(detail)}\n`);
    }),
  };
}

/**
 * Text for the user's terminal: control characters other than newline and
 * tab (ESC, C1, DEL) escaped, at most 4096 characters. Bug reports may quote
 * guest data (a path in an error message).
 */
export function terminalSafe(s: string): string {
  const cut = s.length > 4096 ? `${s.slice(0, 4096)}...` : s;
  return cut.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code;
}

/**
 * A console sink writing to host fd `fd` (1 or 2). EAGAIN waits and
 * retries; EPIPE (the reader went away) or EBADF marks the sink closed, and
 * the guest's later writes fail with EPIPE.
 */
export function nodeConsoleSink(fd: number): ConsoleSink {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const sink = {
    isTty: isTerminal(fd),
    closed: false,
    write(data: Uint8Array): void {
      let off = 0;
      while (off < data.byteLength && !sink.closed) {
        try {
          off += writeSync(fd, data, off, data.byteLength - off);
        } catch (err) {
          if (isErrno(err, 'EAGAIN')) sleepMs(cell, 1);
          else if (isErrno(err, 'EPIPE') || isErrno(err, 'EBADF')) sink.closed = true;
          // A full disk or an I/O error on the host's stdout is the guest's errno, not a kernel bug.
          else if (isErrno(err, 'ENOSPC') || isErrno(err, 'EDQUOT')) throw E.NOSPC;
          else if (isErrno(err, 'EFBIG')) throw E.FBIG;
          else throw E.IO;
        }
      }
    },
  };
  return sink;
}

/**
 * A console source reading host fd `fd` (0). Reads without a timeout use a
 * blocking `readSync`; the first read with a timeout (poll_oneoff on stdin)
 * hands stdin to a helper thread so the wait can end (see node_stdin.ts).
 */
export function nodeConsoleSource(fd = 0): ConsoleSource {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let eof = false;
  const direct = (buf: Uint8Array): number => {
    for (;;) {
      try {
        return readSync(fd, buf, 0, buf.byteLength, null);
      } catch (err) {
        if (isErrno(err, 'EAGAIN')) sleepMs(cell, 1);
        else if (isErrno(err, 'EOF') || isErrno(err, 'EBADF') || isErrno(err, 'EINVAL')) return 0;
        else throw err;
      }
    }
  };
  const reader = new TimedStdinReader(fd, direct);
  return {
    isTty: isTerminal(fd),
    read(max: number, timeoutNs: bigint | null): Uint8Array | null {
      if (eof) return new Uint8Array(0);
      const data = reader.read(max, timeoutNs);
      if (data !== null && data.byteLength === 0) eof = true;
      return data;
    },
    close: () => reader.close(),
  };
}

/** Default bytes a CaptureSink keeps (16 MiB, as `OutputStream`'s capture). */
export const CAPTURE_SINK_LIMIT = DEFAULT_CAPTURE_LIMIT;

/**
 * A sink that keeps what is written (tests, library callers capturing
 * output), at most `limit` bytes (default 16 MiB): past it, writes still
 * succeed (the guest is not stopped) but are not kept, and `truncated` is
 * set. The cut falls at a byte count, maybe inside a UTF-8 character.
 */
export class CaptureSink implements ConsoleSink {
  readonly isTty = false;
  private readonly buf: CaptureBuffer;
  constructor(readonly limit = CAPTURE_SINK_LIMIT) {
    this.buf = new CaptureBuffer(limit);
  }
  write(data: Uint8Array): void {
    this.buf.append(data);
  }
  /** True once output past `limit` was dropped. */
  get truncated(): boolean {
    return this.buf.truncated;
  }
  /** Bytes kept (at most `limit`). */
  get length(): number {
    return this.buf.length;
  }
  /** Everything kept so far. */
  bytes(): Uint8Array {
    return this.buf.bytes();
  }
  /** Everything kept so far as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.buf.bytes());
  }
}
