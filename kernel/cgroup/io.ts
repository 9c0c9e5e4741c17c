/**
 * The io controller: io.stat (rbytes wbytes rios wios, and Linux's dbytes
 * dios as 0) and io.max (rbps wbps riops wiops) for the container's one
 * storage device: its upper layer (a device number given by the builder,
 * `device`). Reads and writes of the upper's files report here
 * (`IoAccount`, set on the upper TmpFs): `gate` before the call, which
 * answers the monotonic ns until which the call must wait when a rate of
 * io.max is spent (token buckets holding one second's worth), and
 * `account` after it. The wait is a WouldBlock with that deadline, so the
 * sentry platform parks the call and the inline one sleeps; the call is
 * retried and goes through. A parent's io.max binds its children (their
 * I/O is its I/O).
 */
import { E } from '../errno.js';
import type { CgroupContext, ControlFile, Controller, ControllerType } from './controller.js';

/** The io.max keys. */
const KEYS = ['rbps', 'wbps', 'riops', 'wiops'] as const;
type Key = (typeof KEYS)[number];

/** What a filesystem reports its I/O to (kernel/fs/tmpfs.ts `io`). */
export interface IoAccount {
  /** null to go on, or the monotonic ns until which a read (`r`) or write (`w`) of `bytes` must wait. */
  gate(kind: 'r' | 'w', bytes: number): bigint | null;
  /** A read or write of `bytes` happened. */
  account(kind: 'r' | 'w', bytes: number): void;
}

/** One cgroup's io controller. */
export class IoController implements Controller, IoAccount {
  readonly name = 'io';
  /** The device io.stat and io.max name (`MAJ:MIN`). */
  device = '0:0';
  /** The kernel's monotonic clock (ns); without it io.max only counts. */
  clock: (() => bigint) | null = null;
  readonly counts = { rbytes: 0, wbytes: 0, rios: 0, wios: 0 };
  /** io.max per key (null: max). */
  readonly max: Record<Key, number | null> = { rbps: null, wbps: null, riops: null, wiops: null };
  /** Token buckets (spent units and when they were last refilled). */
  private readonly spent: Record<Key, number> = { rbps: 0, wbps: 0, riops: 0, wiops: 0 };
  private lastNs: bigint | null = null;
  /** Calls parked by io.max (io.stat has no such key; shown in stats() as `throttled`). */
  throttled = 0;
  private readonly parent: IoController | null;

  constructor(ctx: CgroupContext) {
    this.parent = ctx.parent instanceof IoController ? ctx.parent : null;
  }

  private refill(now: bigint): void {
    if (this.lastNs !== null) {
      const secs = Number(now - this.lastNs) / 1e9;
      for (const k of KEYS) {
        const m = this.max[k];
        this.spent[k] = m === null ? 0 : Math.max(0, this.spent[k] - secs * m);
      }
    }
    this.lastNs = now;
  }

  /** The deadline this cgroup's (or an ancestor's) io.max asks of a call, or null. */
  gate(kind: 'r' | 'w', bytes: number): bigint | null {
    let until: bigint | null = null;
    for (let c: IoController | null = this; c !== null; c = c.parent) {
      const u = c.ownGate(kind, bytes);
      if (u !== null && (until === null || u > until)) until = u;
    }
    if (until !== null) this.throttled++;
    return until;
  }

  private ownGate(kind: 'r' | 'w', bytes: number): bigint | null {
    const clock = this.clock ?? this.parent?.clock ?? null;
    const bps = kind === 'r' ? 'rbps' : 'wbps';
    const iops = kind === 'r' ? 'riops' : 'wiops';
    if (clock === null || (this.max[bps] === null && this.max[iops] === null)) return null;
    const now = clock();
    this.refill(now);
    // wait until the bucket has room again: what is spent beyond one second's worth, at the rate
    let waitSec = 0;
    for (const [k, n] of [[bps, bytes], [iops, 1]] as const) {
      const m = this.max[k];
      if (m === null) continue;
      const over = this.spent[k] + n - m;
      if (over > 0 && this.spent[k] > 0) waitSec = Math.max(waitSec, over / m);
    }
    return waitSec > 0 ? now + BigInt(Math.ceil(waitSec * 1e9)) : null;
  }

  /** A read or write happened: counted here and up the tree; the buckets are spent. */
  account(kind: 'r' | 'w', bytes: number): void {
    for (let c: IoController | null = this; c !== null; c = c.parent) {
      if (kind === 'r') { c.counts.rbytes += bytes; c.counts.rios++; c.spent.rbps += bytes; c.spent.riops++; }
      else { c.counts.wbytes += bytes; c.counts.wios++; c.spent.wbps += bytes; c.spent.wiops++; }
    }
  }

  /** Parse an io.max line: `MAJ:MIN key=value...`, a value a number or `max`. */
  setMax(text: string): void {
    const parts = text.trim().split(/\s+/);
    if (parts.length < 2 || !/^\d+:\d+$/.test(parts[0]!)) throw E.INVAL;
    const next = { ...this.max };
    for (const p of parts.slice(1)) {
      const m = /^(rbps|wbps|riops|wiops)=(max|\d{1,15})$/.exec(p);
      if (!m) throw E.INVAL;
      const v = m[2] === 'max' ? null : Number(m[2]);
      if (v === 0) throw E.INVAL;
      next[m[1] as Key] = v;
    }
    Object.assign(this.max, next);
  }

  files(): readonly ControlFile[] {
    return [
      {
        name: 'io.max',
        read: () => (KEYS.every((k) => this.max[k] === null) ? '' : `${this.device} ${KEYS.map((k) => `${k}=${this.max[k] ?? 'max'}`).join(' ')}\n`),
        write: (t) => this.setMax(t),
      },
      {
        name: 'io.stat',
        read: () => {
          const c = this.counts;
          return c.rios + c.wios === 0 ? '' : `${this.device} rbytes=${c.rbytes} wbytes=${c.wbytes} rios=${c.rios} wios=${c.wios} dbytes=0 dios=0\n`;
        },
      },
    ];
  }

  stats(): Readonly<Record<string, number | null>> {
    return { ...this.counts, ...Object.fromEntries(KEYS.map((k) => [`max.${k}`, this.max[k]])), throttled: this.throttled };
  }
}

/** The io controller's registration. */
export const ioController: ControllerType = { name: 'io', create: (ctx) => new IoController(ctx) };
