/**
 * Determinism switches for a run: a virtual clock, seeded randomness and
 * stable device numbers, as a `Host` wrapped around the real one (the
 * kernel's clocks, random bytes and sleeps all come through the Host, so
 * nothing in `kernel/` changes). Isomorphic: Node and browser.
 *
 * With a virtual clock, time stands still unless the program sleeps
 * (`poll_oneoff` with a timeout finishes at once, the clock moved to its
 * deadline), the test advances it (`clock.advance(ms)`), or `step` is set
 * (every reading by the program moves it on by `step` ns). Files are stamped
 * with it, so timestamps repeat too. With a seed, `random_get` and
 * /dev/urandom give the same bytes on every run. Device ids are numbered per
 * run, inode numbers per in-memory filesystem already are, and host
 * directories (binds) list names sorted and number inodes from their path
 * (`Host.stableIds`), so `stat` and readdir repeat.
 */
import type { Host } from '../../kernel/host.js';

/** Nanoseconds in a millisecond. */
const MS = 1_000_000n;

/** Default wall-clock start of a virtual clock: 2000-01-01T00:00:00Z. */
export const DEFAULT_REALTIME = new Date('2000-01-01T00:00:00Z');

/** Options of a virtual clock. */
export interface ClockOptions {
  /** Wall-clock start: a Date, an ISO 8601 string or ns since the epoch (default 2000-01-01T00:00:00Z). */
  realtime?: Date | string | bigint;
  /** Monotonic clock start, ns (default 0n). */
  monotonic?: bigint;
  /** Added to the clock after each reading by the program, ns (default 0: time moves only by sleeps and `advance`). */
  step?: bigint | number;
}

/** Why clock or seed options are refused. */
export class DeterminismError extends Error {
  readonly code = 'BAD_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'DeterminismError';
  }
}

function realtimeStart(v: ClockOptions['realtime']): bigint {
  if (v === undefined) return BigInt(DEFAULT_REALTIME.getTime()) * MS;
  if (typeof v === 'bigint') return v;
  const d = typeof v === 'string' ? new Date(v) : v;
  if (Number.isNaN(d.getTime())) throw new DeterminismError(`clock: ${String(v)} is not a date; give an ISO 8601 time such as 2024-01-01T00:00:00Z`);
  return BigInt(d.getTime()) * MS;
}

/** A clock that moves only when told: sleeps, `advance`, or a fixed step per reading. */
export class VirtualClock {
  /** ns the clock has moved since it was made. */
  private elapsed = 0n;
  private readonly realBase: bigint;
  private readonly monoBase: bigint;
  /** ns added after each reading by the program. */
  readonly step: bigint;

  constructor(opts: ClockOptions = {}) {
    this.realBase = realtimeStart(opts.realtime);
    this.monoBase = opts.monotonic ?? 0n;
    const step = opts.step ?? 0n;
    if (typeof step === 'number' && !(Number.isInteger(step) && step >= 0)) throw new DeterminismError(`clock step ${step}: give a whole number of ns, 0 or more`);
    this.step = BigInt(step);
    if (this.step < 0n) throw new DeterminismError('clock step must not be negative');
  }

  /** Wall clock, ns since the epoch (a reading: moves the clock by `step`). */
  realtimeNs(): bigint {
    const t = this.realBase + this.elapsed;
    this.elapsed += this.step;
    return t;
  }

  /** Monotonic clock, ns (a reading: moves the clock by `step`). */
  monotonicNs(): bigint {
    const t = this.monoBase + this.elapsed;
    this.elapsed += this.step;
    return t;
  }

  /** The monotonic clock without moving it (for traces). */
  peekMonotonicNs(): bigint {
    return this.monoBase + this.elapsed;
  }

  /** The wall clock as a Date, without moving it. */
  now(): Date {
    return new Date(Number((this.realBase + this.elapsed) / MS));
  }

  /** Where the clock stands, as a container spec carries it to the sentry platform (`TestingSpec.clock`). */
  toSpec(): { realtimeNs: bigint; monotonicNs: bigint; stepNs: bigint } {
    return { realtimeNs: this.realBase + this.elapsed, monotonicNs: this.monoBase + this.elapsed, stepNs: this.step };
  }

  /** Move the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new DeterminismError(`advance(${ms}): give milliseconds, 0 or more`);
    this.elapsed += BigInt(Math.round(ms * 1e6));
  }

  /** Move the clock forward by `ns` nanoseconds. */
  advanceNs(ns: bigint): void {
    if (ns < 0n) throw new DeterminismError('advanceNs: the clock never goes back');
    this.elapsed += ns;
  }
}

/** Bytes from a seed, the same on every run (sfc32: fast, well mixed; not for secrets). */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new DeterminismError(`seed ${seed}: give an integer`);
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** The next 32 random bits. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Fill `buf`. */
  fill(buf: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) {
      const v = this.next();
      buf[i] = v;
      buf[i + 1] = v >>> 8;
      buf[i + 2] = v >>> 16;
      buf[i + 3] = v >>> 24;
    }
    if (i < buf.length) {
      let v = this.next();
      for (; i < buf.length; i++, v >>>= 8) buf[i] = v;
    }
  }
}

/** The switches of `deterministicHost`. */
export interface DeterminismOptions {
  /** Use this virtual clock (wall, monotonic and CPU time; sleeps advance it). */
  clock?: VirtualClock;
  /** Seed of `random_get` and /dev/random. */
  seed?: number;
}

/**
 * `base` with the chosen switches on: a virtual clock, seeded randomness,
 * and (always) device ids numbered from 1 for this run. Everything else
 * (host files, bug reports) is `base`'s. Use one per run.
 */
export function deterministicHost(base: Host, opts: DeterminismOptions): Host & { allocDev(): bigint } {
  const h = Object.create(base) as { -readonly [K in keyof Host]: Host[K] } & { allocDev(): bigint };
  let dev = 0n;
  h.allocDev = () => ++dev;
  h.stableIds = true;
  const clock = opts.clock;
  if (clock !== undefined) {
    h.virtualTime = true;
    const cpu0 = clock.peekMonotonicNs();
    h.realtimeNs = () => clock.realtimeNs();
    h.monotonicNs = () => clock.monotonicNs();
    h.cpuTimeNs = () => clock.peekMonotonicNs() - cpu0;
    h.sleepSync = (ns) => clock.advanceNs(ns > 0n ? ns : 0n);
  }
  if (opts.seed !== undefined) {
    const rng = new SeededRandom(opts.seed);
    h.randomFill = (buf) => rng.fill(buf);
  }
  return h;
}

/** `--clock fake[=ISO-TIME]` (or `real`): the virtual clock it asks for, undefined for the real one. */
export function parseClockFlag(v: string): VirtualClock | undefined {
  if (v === 'real') return undefined;
  if (v === 'fake') return new VirtualClock();
  if (v.startsWith('fake=')) {
    try {
      return new VirtualClock({ realtime: v.slice(5) });
    } catch (e) {
      throw new DeterminismError(`--clock ${v}: ${(e as Error).message.replace(/^clock: /, '')}`);
    }
  }
  throw new DeterminismError(`--clock ${v}: use fake, fake=ISO-TIME (such as fake=2024-01-01T00:00:00Z) or real`);
}

/** `--seed N`: a non-negative integer. */
export function parseSeedFlag(v: string): number {
  if (!/^\d{1,15}$/.test(v)) throw new DeterminismError(`--seed ${v}: give a whole number such as 42`);
  return Number(v);
}
