/**
 * The Sentry's end of the SAB channels (layout and protocol:
 * kernel/platform/sentry_protocol.ts; the app's end: channel.ts):
 * one server drains the hub's ring of every channel attached to it, spins
 * briefly on the hub while requests come fast, then sleeps with
 * `Atomics.waitAsync` so its event loop keeps running; requests can be
 * parked and answered later with `respond`.
 */
import { wireSlots, type Wire, type WireSlots, type WireTable } from '../../kernel/platform/sentry_wire.js';
import { Ch, Flag, HEADER_BYTES, Hub, SentryStatus, State, type SentryReply } from '../../kernel/platform/sentry_protocol.js';
import { Decoder, Encoder } from './value_codec.js';
import { relax, SPIN_FLOOR, SPIN_MAX, SpinBudget, spinRounds, spinWhileEqual, waitAsync, WARM_WAITS } from './spin_park.js';

/** How long the serve loop sleeps before checking its channels anyway (ms). */
const SLEEP_CHECK_MS = 250;

/** What the Sentry does with one request; return `PENDING` to answer later with `respond`. */
export type RequestHandler = (id: number, op: number, arg: unknown) => SentryReply | typeof PENDING;

/** Returned by a handler that parked the request. */
export const PENDING: unique symbol = Symbol('pending');

interface ServerChannel {
  id: number;
  h: Int32Array;
  data: Uint8Array;
  dec: Decoder;
  enc: Encoder;
  slots: WireSlots;
  /** the fixed layout of the request being handled (its answer uses it too), or null */
  fixed: Wire | null;
  /** request chunks received so far */
  inBuf: Uint8Array | null;
  inLen: number;
  /** response bytes still to send */
  out: Uint8Array | null;
  outOff: number;
  outStatus: number;
  /** a request is being handled or parked */
  busy: boolean;
  /** detached by `close`: stale references (the watch, ring entries) see this */
  closed: boolean;
}

/** Options of a ChannelServer. */
export interface ServerOptions {
  /** Schedule `fn` on the next turn of the event loop (setImmediate in Node, a MessageChannel in browsers). */
  defer: (fn: () => void) => void;
  /** Max loads to spin (spin_park.ts) while requests come fast (default SPIN_MAX; 0: always sleep). */
  spinMax?: number;
  /** Max time (ms) to serve before yielding to the event loop. */
  sliceMs?: number;
  /** Called when a handler throws (a bug): the request is answered with `bugStatus`. */
  onBug?: (err: unknown) => void;
  /** Status sent when a handler throws (default SentryStatus.BUG). */
  bugStatus?: number;
  /** Fixed wire layouts by opcode (the clients must use the same table). */
  wires?: WireTable;
}

/**
 * The Sentry's end: serves every channel attached to one hub, never
 * blocking the thread on any of them.
 */
export class ChannelServer {
  private readonly hub: Int32Array;
  /** Attached channels by id (an array: the serve loop looks one up per ring entry). */
  private readonly byId: (ServerChannel | undefined)[] = [];
  private readonly wires: WireTable;
  private head = 0;
  private readonly spin: SpinBudget;
  private scheduled = false;
  private sleeping = false;
  private running = false;
  private stopped = false;
  private readonly local: (() => void)[] = [];
  private needScan = false;
  private ringDirty = false;
  /** The channel answered last: the serve loop watches it while it spins (Ch.WATCH). */
  private lastAnswered: ServerChannel | null = null;
  /** The channel whose Ch.WATCH is 1, if any. */
  private watched: ServerChannel | null = null;
  /** Spins and requests served while spinning so far (spins pause between loads after WARM_WAITS). */
  private spins = 0;

  constructor(hub: SharedArrayBuffer, private readonly handler: RequestHandler, private readonly opts: ServerOptions) {
    this.hub = new Int32Array(hub);
    const max = opts.spinMax ?? SPIN_MAX;
    this.spin = new SpinBudget(Math.min(SPIN_FLOOR, max), max, max);
    this.wires = opts.wires ?? [];
  }

  /** Serve channel `id` backed by `sab`. */
  attach(id: number, sab: SharedArrayBuffer): void {
    if (id < 0 || id >= this.hub[Hub.CAP]!) throw new RangeError(`channel id ${id} outside the hub's capacity`);
    const c: ServerChannel = {
      id,
      h: new Int32Array(sab, 0, HEADER_BYTES / 4),
      data: new Uint8Array(sab, HEADER_BYTES),
      dec: new Decoder(new Uint8Array(sab, HEADER_BYTES)),
      enc: new Encoder(new Uint8Array(sab, HEADER_BYTES)),
      slots: wireSlots(sab, HEADER_BYTES), fixed: null,
      inBuf: null, inLen: 0, out: null, outOff: 0, outStatus: 0, busy: false, closed: false,
    };
    const old = this.byId[id];
    if (old) old.closed = true;
    this.byId[id] = c;
  }

  /** Close channel `id`: its app worker's pending and future calls throw ChannelClosed. */
  close(id: number): void {
    const c = this.byId[id];
    if (!c) return;
    this.byId[id] = undefined;
    c.closed = true;
    if (this.watched === c) this.watched = null;
    Atomics.store(c.h, Ch.STATE, State.CLOSED);
    Atomics.notify(c.h, Ch.STATE);
  }

  /** True if channel `id` has a request being handled or parked. */
  isBusy(id: number): boolean {
    return this.byId[id]?.busy ?? false;
  }

  /** Run `fn` from the serve loop soon (used to retry parked requests when a WaitQueue notifies). */
  post(fn: () => void): void {
    this.local.push(fn);
    this.kick();
  }

  /** Start serving. */
  start(): void {
    this.kick();
  }

  /** Stop serving (channels stay attached). */
  stop(): void {
    this.stopped = true;
  }

  /** Answer the parked request of channel `id`. */
  respond(id: number, reply: SentryReply): void {
    const c = this.byId[id];
    if (c !== undefined && c.busy) this.answer(c, reply);
  }

  /** Answer the request `c` is handling. */
  private answer(c: ServerChannel, reply: SentryReply): void {
    c.busy = false;
    try {
      this.send(c, reply);
    } catch (err) {
      // An answer that cannot be built (a value the codec refuses, no memory for a huge one)
      // fails that one call as a kernel bug: it never stops the serve loop and its other channels.
      this.opts.onBug?.(err);
      c.out = null;
      this.send(c, { status: this.opts.bugStatus ?? SentryStatus.BUG, value: `the answer could not be sent: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private send(c: ServerChannel, reply: SentryReply): void {
    const fixed = c.fixed;
    if (fixed !== null) {
      c.fixed = null;
      // errno answers carry no value; negative statuses (exit, bug) carry one in the generic encoding
      const n = reply.status === 0 ? fixed.putResult(c.slots, reply.value) : reply.status > 0 ? 0 : -1;
      if (n >= 0) {
        c.h[Ch.LEN] = n;
        c.h[Ch.FLAGS] = Flag.FIXED;
        c.h[Ch.OP] = reply.status;
        this.publish(c);
        return;
      }
    }
    const enc = c.enc.reset().value(reply.value);
    if (enc.inHome) {
      c.h[Ch.LEN] = enc.pos;
      c.h[Ch.FLAGS] = 0;
      c.h[Ch.OP] = reply.status;
      this.publish(c);
      return;
    }
    c.out = enc.bytes().slice();
    c.outOff = 0;
    c.outStatus = reply.status;
    this.sendChunk(c);
  }

  private publish(c: ServerChannel): void {
    this.lastAnswered = c;
    Atomics.store(c.h, Ch.STATE, State.RESP);
    if (Atomics.load(c.h, Ch.PARKED) !== 0) Atomics.notify(c.h, Ch.STATE, 1);
  }

  private sendChunk(c: ServerChannel): void {
    const out = c.out!;
    const n = Math.min(c.data.length, out.length - c.outOff);
    c.data.set(out.subarray(c.outOff, c.outOff + n));
    c.outOff += n;
    c.h[Ch.LEN] = n;
    c.h[Ch.OP] = c.outStatus;
    if (c.outOff < out.length) {
      c.h[Ch.FLAGS] = Flag.MORE;
    } else {
      c.h[Ch.FLAGS] = 0;
      c.out = null;
    }
    this.publish(c);
  }

  private kick(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    this.opts.defer(() => {
      this.scheduled = false;
      this.pass();
    });
  }

  /** Take one ring entry; -1 if the ring is empty. */
  private pop(): number {
    const hub = this.hub;
    if (Atomics.load(hub, Hub.TAIL) === this.head) return -1;
    const cap = hub[Hub.CAP]!;
    const slot = Hub.RING + ((this.head % cap) + cap) % cap;
    let v = Atomics.load(hub, slot);
    // A producer reserved the slot but has not stored its id yet: it is between two
    // instructions, unless its worker was terminated right there. Wait a bounded time,
    // then skip the slot and scan every channel instead (serveOne ignores stale entries).
    for (let k = 0; v === 0 && k < 1_000_000; k++) v = Atomics.load(hub, slot);
    this.head = (this.head + 1) | 0;
    if (v === 0) {
      // from now on a late store may leave a stale id a lap later: keep scanning while asleep
      this.needScan = true;
      this.ringDirty = true;
      return -1;
    }
    Atomics.store(hub, slot, 0);
    return v - 1;
  }

  /**
   * Requests a recovery scan found with the ring empty and no watch: each
   * is a lost announcement (a producer killed mid-push, or a protocol bug)
   * and waited for the scan (up to SLEEP_CHECK_MS). A request whose app side
   * is between storing STATE and ringing also counts, in that nanosecond.
   */
  recovered = 0;

  /** Serve every channel with a request waiting that no ring entry announced (recovery). */
  private scan(): void {
    this.needScan = false;
    const ringEmpty = Atomics.load(this.hub, Hub.TAIL) === this.head;
    for (const c of this.byId) {
      if (c !== undefined && !c.busy && Atomics.load(c.h, Ch.STATE) === State.REQ) {
        if (ringEmpty) this.recovered++;
        this.serve(c);
      }
    }
  }

  /** Serve the request waiting on channel `id`, if any (a ring entry). */
  private serveOne(id: number): void {
    const c = this.byId[id];
    if (c !== undefined) this.serve(c);
  }

  private serve(c: ServerChannel): void {
    const h = c.h;
    // stale or duplicate ring entries: nothing new, or a request already being handled
    if (c.busy || Atomics.load(h, Ch.STATE) !== State.REQ) return;
    const flags = h[Ch.FLAGS]!;
    if (flags & Flag.FIXED) {
      this.serveFixed(c, h[Ch.OP]!, h[Ch.LEN]!);
      return;
    }
    if (flags & Flag.CONT) {
      if (c.out) this.sendChunk(c);
      return;
    }
    const len = h[Ch.LEN]!;
    let msg: Uint8Array;
    if (flags & Flag.MORE || c.inBuf) {
      const need = c.inLen + len;
      if (!c.inBuf || c.inBuf.length < need) {
        let nb: Uint8Array;
        try {
          nb = new Uint8Array(Math.max(need, Math.floor((c.inBuf?.length ?? 0) * 1.5), 4096));
        } catch (err) {
          // no memory for the message: fail this call (the app side stops sending chunks
          // when it gets an answer instead of an ACK), never the serve loop
          c.inBuf = null;
          c.inLen = 0;
          c.busy = true;
          this.opts.onBug?.(err);
          this.answer(c, { status: this.opts.bugStatus ?? SentryStatus.BUG, value: `a request of over ${need} bytes could not be received: ${err instanceof Error ? err.message : String(err)}` });
          return;
        }
        if (c.inBuf) nb.set(c.inBuf.subarray(0, c.inLen));
        c.inBuf = nb;
      }
      c.inBuf.set(c.data.subarray(0, len), c.inLen);
      c.inLen += len;
      if (flags & Flag.MORE) {
        h[Ch.LEN] = 0;
        h[Ch.FLAGS] = Flag.ACK;
        this.publish(c);
        return;
      }
      msg = c.inBuf.subarray(0, c.inLen);
      c.inBuf = null;
      c.inLen = 0;
    } else {
      // decoded in place: the decoder copies bytes and strings out of shared memory
      msg = c.data;
    }
    const op = h[Ch.OP]!;
    c.busy = true;
    let reply: SentryReply | typeof PENDING;
    try {
      const arg = c.dec.reset(msg).value();
      if (msg.buffer !== c.data.buffer) c.dec.reset(c.data);
      reply = this.handler(c.id, op, arg);
    } catch (err) {
      this.opts.onBug?.(err);
      reply = { status: this.opts.bugStatus ?? SentryStatus.BUG, value: String(err) };
    }
    if (reply !== PENDING) this.answer(c, reply);
  }

  /** A request in its call's fixed layout. */
  private serveFixed(c: ServerChannel, op: number, len: number): void {
    c.busy = true;
    let reply: SentryReply | typeof PENDING;
    try {
      const wire = this.wires[op];
      if (wire === undefined) throw new Error(`fixed-layout request for op ${op}, which has no wire layout here`);
      c.fixed = wire;
      reply = this.handler(c.id, op, wire.getArgs(c.slots, len));
    } catch (err) {
      this.opts.onBug?.(err);
      reply = { status: this.opts.bugStatus ?? SentryStatus.BUG, value: String(err) };
    }
    if (reply !== PENDING) this.answer(c, reply);
  }

  /**
   * Serve every request waiting and run posted work until there is none,
   * synchronously, without spinning or sleeping. False if it stopped at
   * `deadline` (a `performance.now()` time) with work left. The serve loop
   * runs on it; a same-thread transport (tests) calls it directly.
   */
  drain(deadline = Infinity): boolean {
    let n = 0;
    for (;;) {
      let id: number;
      if (this.needScan) this.scan();
      while ((id = this.pop()) >= 0 || this.needScan) {
        if (id < 0) {
          this.scan();
          continue;
        }
        this.serveOne(id);
        if ((++n & 63) === 0 && performance.now() > deadline) return false;
      }
      if (this.local.length === 0) return true;
      const fns = this.local.splice(0);
      for (const fn of fns) {
        try {
          fn();
        } catch (err) {
          this.opts.onBug?.(err);
        }
      }
    }
  }

  private pass(): void {
    if (this.stopped) return;
    this.running = true;
    const deadline = performance.now() + (this.opts.sliceMs ?? 4);
    let rounds = 0;
    try {
      for (;;) {
        if (!this.drain(deadline) || ((++rounds & 15) === 0 && performance.now() > deadline)) {
          // a long burst: let the event loop (control plane, timers) run, then come back
          this.running = false;
          this.kick();
          return;
        }
        // calls have been coming fast: spin a little for the next one
        if (this.spin.current > 0 && this.spinForNext(this.spin.current, deadline)) {
          this.spin.hit();
          continue;
        }
        this.spin.miss();
        break;
      }
    } finally {
      this.running = false;
    }
    this.sleep();
  }

  /**
   * Spin up to `n` rounds for the next request: a ring entry, or a request
   * on the channel answered last, which is watched (Ch.WATCH: its app side
   * then skips the ring; see channel.ts). The watch stays on while that
   * channel keeps calling (one store per burst, not per call) and while
   * the loop drains the ring, which it does between spins; it is dropped
   * when the spin times out or another channel is watched. True if a
   * request came; those found on the watched channel are served here, one
   * after another while nothing else waits (no trip through the outer loop
   * per call) until `deadline`.
   */
  private spinForNext(n: number, deadline: number): boolean {
    const w = this.lastAnswered;
    const hub = this.hub;
    const relaxed = ++this.spins > WARM_WAITS;
    if (w === null || w.busy || w.closed) {
      if (this.unwatch()) return true;
      return spinWhileEqual(hub, Hub.TAIL, this.head, n, relaxed);
    }
    if (this.watched !== w) {
      if (this.unwatch()) return true;
      Atomics.store(w.h, Ch.WATCH, 1);
      this.watched = w;
    }
    const h = w.h;
    let rounds = spinRounds(n, relaxed);
    let served = 0;
    for (let k = 0; k < rounds; k++) {
      if (Atomics.load(h, Ch.STATE) === State.REQ) {
        this.serve(w);
        if (w.busy || this.lastAnswered !== w || this.local.length !== 0 || this.needScan) return true;
        if ((++served & 15) === 0 && performance.now() > deadline) return true;
        // a request within the spin: the budget grows, as the outer loop's `hit` does
        this.spin.hit();
        this.spins++;
        rounds = spinRounds(this.spin.current, relaxed);
        k = -1;
        continue;
      }
      if (Atomics.load(hub, Hub.TAIL) !== this.head) return true;
      if (relaxed) relax();
    }
    return this.unwatch() || Atomics.load(hub, Hub.TAIL) !== this.head;
  }

  /**
   * Stop watching (Ch.WATCH = 0), then look at the channel's STATE once
   * more: a request stored before the watch ended did not ring, so it is
   * served here. True if one was.
   */
  private unwatch(): boolean {
    const w = this.watched;
    if (w === null) return false;
    this.watched = null;
    Atomics.store(w.h, Ch.WATCH, 0);
    if (w.closed || Atomics.load(w.h, Ch.STATE) !== State.REQ) return false;
    this.serve(w);
    return true;
  }

  private sleep(): void {
    // never sleep watching: that channel's app side would not ring
    if (this.unwatch()) {
      this.kick();
      return;
    }
    if (this.ringDirty && !this.stopped) {
      setTimeout(() => {
        this.needScan = true;
        this.kick();
      }, 10);
    }
    if (this.sleeping || this.stopped) return;
    Atomics.store(this.hub, Hub.SLEEPING, 1);
    // the timeout is a safety net only: a wake-up that never comes costs at most this much
    const r = waitAsync(this.hub, Hub.TAIL, this.head, SLEEP_CHECK_MS);
    if (!r.async) {
      Atomics.store(this.hub, Hub.SLEEPING, 0);
      this.kick();
      return;
    }
    this.sleeping = true;
    (r.value as Promise<string>).then((how) => {
      this.sleeping = false;
      Atomics.store(this.hub, Hub.SLEEPING, 0);
      if (how === 'timed-out') this.needScan = true;
      else this.spin.current = Math.max(this.spin.current, 64);
      this.kick();
    });
  }
}
