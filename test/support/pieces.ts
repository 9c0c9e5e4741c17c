/**
 * Helpers of the tests of calls bigger than the sentry channel's data area
 * (test/sentry/sentry_pieces*.test.ts): environments on both platforms,
 * patterns, iovec layouts, a spy on the calls the kernel runs, a probe file
 * that measures the host memory held while it runs.
 */
import { Rights } from '../../kernel/abi/wasi.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { StreamFile } from '../../kernel/task/stream_file.js';
import { FdFlags } from '../../kernel/vfs/types.js';
import { DEFAULT_CHANNEL_DATA } from '../../kernel/platform/sentry_protocol.js';
import { makeEnv, type Env } from '../kernel/syscalls/harness.js';

export const AREA = DEFAULT_CHANNEL_DATA;
export const KiB = 1024;
export const MiB = 1024 * KiB;
/** Five data areas and a bit: six pieces, the last one short. */
export const BIG = 5 * AREA + 17;
export const PLATFORMS = ['inline', 'sentry'] as const;
export const RW = Rights.FD_READ | Rights.FD_WRITE | Rights.FD_FDSTAT_SET_FLAGS;

/** An environment with `pages` more pages of guest memory. */
export function env(platform: 'inline' | 'sentry', pages = 16, onStuck?: () => boolean): Env {
  const e = makeEnv({ platform, onStuck });
  e.memory.grow(pages);
  return e;
}

/** `len` bytes of a pattern that differs at every offset of a piece (no piece looks like another). */
export function pattern(len: number, seed = 1): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + (i >>> 8) * 7 + seed) & 0xff;
  return b;
}

/** One call the kernel ran, as the dispatcher's filter saw it. */
export interface Seen { name: string; n: number; noWait: boolean; offset?: bigint }

/**
 * Each call named `names` the kernel runs, as the dispatcher's filter sees
 * it: name, bytes asked for, noWait, offset.
 */
export function spy(e: Env, names: readonly string[] = ['fd_write', 'fd_read']): Seen[] {
  const seen: Seen[] = [];
  e.kernel.dispatcher.filter = (_t, entry, args) => {
    const a = args as { data?: Uint8Array; max?: number; noWait?: boolean; offset?: bigint };
    if (names.includes(entry.name)) {
      const s: Seen = { name: entry.name, n: a.data?.length ?? a.max!, noWait: a.noWait === true };
      if (a.offset !== undefined) s.offset = a.offset;
      seen.push(s);
    }
    return undefined;
  };
  return seen;
}

/** A pipe whose write end is `fd` of the task (the read end stays outside, returned). */
export function pipeOut(e: Env, capacity: number, nonblock = false): { fd: number; pipe: Pipe; reader: ReturnType<Pipe['readEnd']> } {
  const pipe = new Pipe(capacity);
  const w = pipe.writeEnd();
  if (nonblock) w.fdflags = FdFlags.NONBLOCK;
  const reader = pipe.readEnd();
  return { fd: e.task.fds.insert(w, RW, 0), pipe, reader };
}

/** Iovecs at 16 over `sizes`, each buffer right after the last one from 64 KiB on; returns their pointers. */
export function layout(e: Env, sizes: number[]): number[] {
  let at = 65536;
  const ptrs = sizes.map((n) => { const p = at; at += n + 3; return p; });
  e.iovs(16, sizes.map((n, i) => [ptrs[i]!, n]));
  return ptrs;
}

/** Fill the iovecs at `ptrs` (lengths `sizes`) with `data`, in order. */
export function fill(e: Env, ptrs: number[], sizes: number[], data: Uint8Array): void {
  let off = 0;
  for (const [i, p] of ptrs.entries()) { e.u8().set(data.subarray(off, off + sizes[i]!), p); off += sizes[i]!; }
}

/** What the iovecs at `ptrs` (lengths `sizes`) hold, first `n` bytes, as one array. */
export function gathered(e: Env, ptrs: number[], sizes: number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let off = 0;
  for (const [i, p] of ptrs.entries()) {
    const k = Math.min(sizes[i]!, n - off);
    out.set(e.u8().subarray(p, p + k), off);
    off += k;
  }
  return out;
}

/** A source like /dev/zero that records what it was asked for and the host memory held while it runs. */
export class Probe extends StreamFile {
  /** Largest read or write it was handed. */
  biggest = 0;
  /** Largest growth of `process.memoryUsage().arrayBuffers` over `base` seen inside a read or write. */
  peak = 0;
  base = 0;
  constructor() {
    super({ read: true, write: true });
  }
  private look(n: number): void {
    this.biggest = Math.max(this.biggest, n);
    this.peak = Math.max(this.peak, process.memoryUsage().arrayBuffers - this.base);
  }
  /** One buffer, reused (a fresh one per piece would be garbage the measure counts until a GC). */
  private buf = new Uint8Array(0);
  override read(max: number): Uint8Array {
    if (this.buf.length < max) this.buf = new Uint8Array(max);
    this.look(max);
    return this.buf.subarray(0, max);
  }
  override write(data: Uint8Array): number {
    this.look(data.length);
    return data.length;
  }
  override pread(max: number, _offset: bigint): Uint8Array {
    return this.read(max);
  }
  override pwrite(data: Uint8Array, _offset: bigint): number {
    return this.write(data);
  }
  describe(): string {
    return 'probe';
  }
}


/**
 * Run `call` (a 32 MiB call whose count goes to 8) against `probe`: the
 * largest piece the probe was handed, the growth of the process's
 * ArrayBuffer memory seen inside it (the Sentry's side, while the call
 * runs) and after the call (what stays; loopback: both ends in this
 * process). A garbage collection can only lower these figures.
 */
export function measure32MiB(e: Env, probe: Probe, call: () => number): { biggest: number; peak: number; held: number } {
  probe.biggest = probe.peak = 0;
  probe.base = process.memoryUsage().arrayBuffers;
  const errno = call();
  if (errno !== 0 || e.u32(8) !== 32 * MiB) throw new Error(`the call failed (${errno}) or was short (${e.u32(8)})`);
  return { biggest: probe.biggest, peak: probe.peak, held: process.memoryUsage().arrayBuffers - probe.base };
}
