/**
 * A deterministic Host for kernel tests: a clock that only moves when told
 * to (or by a fixed step on every read, if asked), seeded random bytes,
 * sleepSync that advances the clock instead of sleeping, and bugs collected
 * instead of logged.
 */
import type { Host, HostFs } from '../../kernel/host.js';

/** Options of `FakeHost`. */
export interface FakeHostOptions {
  /** Wall clock start, ns since the epoch (default 2024-01-01T00:00:00Z + 123456789 ns). */
  startNs?: bigint;
  /** Added to the clocks after every read (default 0: time stands still). */
  stepNs?: bigint;
  /** Seed of the random generator (default 1). */
  seed?: number;
  /** Host directories for bind mounts. */
  hostfs?: HostFs;
}

/** Deterministic Host for tests. */
export class FakeHost implements Host {
  /** Current wall clock, ns. */
  nowNs: bigint;
  /** Current monotonic clock, ns. */
  monoNs = 1_000_000_000n;
  /** CPU time, ns. */
  cpuNs = 0n;
  stepNs: bigint;
  /** Bugs reported through logBug. */
  readonly bugs: { message: string; err: unknown }[] = [];
  readonly hostfs?: HostFs;
  private state: number;

  constructor(opts: FakeHostOptions = {}) {
    this.nowNs = opts.startNs ?? 1_704_067_200_123_456_789n;
    this.stepNs = opts.stepNs ?? 0n;
    this.state = opts.seed ?? 1;
    this.hostfs = opts.hostfs;
  }

  realtimeNs(): bigint {
    const t = this.nowNs;
    this.nowNs += this.stepNs;
    return t;
  }
  monotonicNs(): bigint {
    const t = this.monoNs;
    this.monoNs += this.stepNs;
    return t;
  }
  cpuTimeNs(): bigint {
    return this.cpuNs;
  }
  /** xorshift32, seeded: the same bytes on every run. */
  randomFill(buf: Uint8Array): void {
    let x = this.state | 0 || 1;
    for (let i = 0; i < buf.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buf[i] = x & 0xff;
    }
    this.state = x;
  }
  /** Does not sleep: advances both clocks by `ns`. */
  sleepSync(ns: bigint): void {
    this.advance(ns);
  }
  logBug(message: string, err: unknown): void {
    this.bugs.push({ message, err });
  }
  /** Move both clocks forward. */
  advance(ns: bigint): void {
    this.nowNs += ns;
    this.monoNs += ns;
  }
}
