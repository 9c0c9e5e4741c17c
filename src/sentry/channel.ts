/**
 * The data plane between app workers and the Sentry, app side: one
 * SharedArrayBuffer region per task (request/response) plus one shared hub
 * per Sentry. The layout, ops, statuses and flags are the protocol module's
 * (kernel/platform/sentry_protocol.ts), which the kernel's side of the
 * platform reads too; this file and channel_server.ts implement it.
 *
 * A request: the app writes OP, LEN, FLAGS (and the data area or the fixed
 * layout's words), stores STATE = REQ, then rings the hub unless the
 * Sentry watches the channel; it spins, then parks (spin_park.ts) until
 * STATE is no longer REQ. Messages larger than the data area travel in
 * chunks, so any size works. Calls that have a fixed wire layout
 * (kernel/platform/sentry_wire.ts: the hot ones, fd_write, fd_read,
 * clock_time_get, path_open, …) skip the generic value codec
 * (value_codec.ts): their scalars go in the argument words and their bytes
 * raw in the data area, both sides knowing the layout by the opcode.
 *
 * The Sentry drains the hub's ring, spins briefly on TAIL while requests
 * come fast, then sleeps with `Atomics.waitAsync` so its event loop
 * (control plane, timers, parked-request retries) keeps running
 * (channel_server.ts).
 */
import { wireSlots, type WireSlots, type WireTable } from '../../kernel/platform/sentry_wire.js';
import {
  Ch, Clock, CLOCK_OFFSET, DEFAULT_CHANNEL_DATA, DEFAULT_HUB_CAPACITY, Flag, HEADER_BYTES, Hub, State, type SentryReply,
} from '../../kernel/platform/sentry_protocol.js';
import { Decoder, Encoder } from './value_codec.js';
import { processClockMs, SPIN_FLOOR, SPIN_MAX, SpinBudget, spinThenPark, WARM_WAITS } from './spin_park.js';

/**
 * A clock of the CPU time (ns) of the task on channel `sab`, from the clock
 * words its app side keeps (CLOCK_OFFSET in the protocol module): 0 before its app side
 * started, never going back.
 */
export function channelCpuClock(sab: SharedArrayBuffer): () => bigint {
  const c = new Float64Array(sab, CLOCK_OFFSET, 2);
  let last = 0n;
  return () => {
    const base = c[Clock.BASE]!;
    if (base === 0) return last;
    const now = processClockMs();
    const park = c[Clock.PARK]!;
    const ms = now - base - (park !== 0 ? now - park : 0);
    const ns = ms > 0 ? BigInt(Math.round(ms * 1e6)) : 0n;
    if (ns > last) last = ns;
    return last;
  };
}

/** Shared memory of one task channel. */
export function createChannelBuffer(dataBytes = DEFAULT_CHANNEL_DATA): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + dataBytes);
}

/** Shared memory of a Sentry's hub, for up to `capacity` channels. */
export function createHubBuffer(capacity = DEFAULT_HUB_CAPACITY): SharedArrayBuffer {
  // a power of two, so that slot numbers stay consistent when the int32 counters wrap
  if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new RangeError('hub capacity must be a power of two');
  const sab = new SharedArrayBuffer((Hub.RING + capacity) * 4);
  new Int32Array(sab)[Hub.CAP] = capacity;
  return sab;
}

/** Thrown in the app worker when the Sentry closed the channel (task killed or Sentry gone). */
export class ChannelClosed extends Error {
  readonly code = 'ECHANCLOSED';
  constructor() {
    super('the Sentry closed this task channel (the task was killed or its sandbox stopped)');
    this.name = 'ChannelClosed';
  }
}

const NO_WIRES: WireTable = [];

/** Announce the request just stored in `h` (STATE = REQ): ring, unless the Sentry watches this channel. */
function announce(h: Int32Array, hub: Int32Array, id: number): void {
  if (Atomics.load(h, Ch.WATCH) === 0) ringPush(hub, id);
}

function ringPush(hub: Int32Array, id: number): void {
  const cap = hub[Hub.CAP]!;
  const slot = Atomics.add(hub, Hub.TAIL, 1) % cap;
  Atomics.store(hub, Hub.RING + (slot < 0 ? slot + cap : slot), id + 1);
  if (Atomics.load(hub, Hub.SLEEPING) !== 0) Atomics.notify(hub, Hub.TAIL, 1);
}

/**
 * The app worker's end of a channel: `call` sends a request and blocks the
 * thread until the Sentry answers (spinning first while answers come fast).
 */
export class ChannelClient {
  private readonly h: Int32Array;
  private readonly data: Uint8Array;
  private readonly hub: Int32Array;
  private readonly enc: Encoder;
  private scratch = new Uint8Array(4096);
  private readonly dec: Decoder;
  private readonly reply: SentryReply = { status: 0, value: undefined };
  /** The task's CPU clock words (BASE, PARK), kept here. */
  private readonly clock: Float64Array;
  /** The fixed-layout slots of this channel (for `callFixed`). */
  readonly slots: WireSlots;
  /** Adaptive spin budget of this side. */
  readonly spin: SpinBudget;
  /** Waits so far (the spin pauses between loads after WARM_WAITS). */
  private waits = 0;

  constructor(channel: SharedArrayBuffer, hub: SharedArrayBuffer, readonly id: number, spinMax = SPIN_MAX, private readonly wires: WireTable = NO_WIRES) {
    this.h = new Int32Array(channel, 0, HEADER_BYTES / 4);
    this.slots = wireSlots(channel, HEADER_BYTES);
    this.clock = new Float64Array(channel, CLOCK_OFFSET, 2);
    this.clock[Clock.PARK] = 0;
    this.clock[Clock.BASE] = processClockMs();
    this.data = new Uint8Array(channel, HEADER_BYTES);
    this.hub = new Int32Array(hub);
    this.spin = new SpinBudget(Math.min(SPIN_FLOOR, spinMax), spinMax, spinMax);
    this.dec = new Decoder(this.data);
    this.enc = new Encoder(this.data);
  }

  private waitResp(): void {
    const h = this.h;
    if (Atomics.load(h, Ch.STATE) === State.REQ) this.await(h);
    if (Atomics.load(h, Ch.STATE) === State.CLOSED) throw new ChannelClosed();
  }

  /**
   * Wait until `h[STATE]` is no longer REQ (the Sentry answered or closed).
   * Spins, then parks; a same-thread test transport overrides it to drive
   * the server instead.
   */
  protected await(h: Int32Array): void {
    spinThenPark(h, Ch.STATE, State.REQ, this.spin, Ch.PARKED, this.clock, ++this.waits > WARM_WAITS);
  }

  /**
   * Send `op` with `arg`; block until the reply. Throws ChannelClosed if the
   * Sentry closed the channel. The returned Reply object is reused by the
   * next call: read it before calling again.
   */
  call(op: number, arg: unknown): SentryReply {
    const h = this.h;
    if (Atomics.load(h, Ch.STATE) === State.CLOSED) throw new ChannelClosed();
    const wire = this.wires[op];
    if (wire !== undefined) {
      const n = wire.putArgs(this.slots, arg);
      if (n >= 0) return this.sendFixed(op, n);
    }
    const enc = this.enc.reset().value(arg);
    if (enc.inHome) {
      // written in place: one chunk
      h[Ch.OP] = op;
      h[Ch.LEN] = enc.pos;
      h[Ch.FLAGS] = 0;
      Atomics.store(h, Ch.STATE, State.REQ);
      announce(h, this.hub, this.id);
      this.waitResp();
    } else {
      const msg = enc.bytes();
      const cap = this.data.length;
      let off = 0;
      // request, in chunks
      for (;;) {
        const n = Math.min(cap, msg.length - off);
        this.data.set(msg.subarray(off, off + n));
        off += n;
        h[Ch.OP] = op;
        h[Ch.LEN] = n;
        h[Ch.FLAGS] = off < msg.length ? Flag.MORE : 0;
        Atomics.store(h, Ch.STATE, State.REQ);
        announce(h, this.hub, this.id);
        this.waitResp();
        if (off >= msg.length) break;
        // the Sentry acked the chunk (FLAGS=ACK): send the next; an answer instead ends the call early
        if ((h[Ch.FLAGS]! & Flag.ACK) === 0) break;
      }
    }
    return this.receive();
  }

  /**
   * Send call `op` whose arguments the caller already wrote into `slots` in
   * the op's wire layout (`len` data bytes); block until the reply. Its
   * value is the op's decoded result (bytes may be a view of the data
   * area), undefined for an errno, or a generic value (an exit status).
   * The Reply object is reused by the next call.
   */
  callFixed(op: number, len: number): SentryReply {
    if (Atomics.load(this.h, Ch.STATE) === State.CLOSED) throw new ChannelClosed();
    return this.sendFixed(op, len);
  }

  /** `callFixed` once the channel is known to be open. */
  private sendFixed(op: number, len: number): SentryReply {
    const h = this.h;
    h[Ch.OP] = op;
    h[Ch.LEN] = len;
    h[Ch.FLAGS] = Flag.FIXED;
    Atomics.store(h, Ch.STATE, State.REQ);
    announce(h, this.hub, this.id);
    this.waitResp();
    if ((h[Ch.FLAGS]! & Flag.FIXED) === 0) return this.receive();
    const r = this.reply;
    r.status = h[Ch.OP]!;
    r.value = r.status === 0 ? this.wires[op]!.getResult(this.slots, h[Ch.LEN]!) : undefined;
    return r;
  }

  /** Read a response in the generic encoding: one chunk (decoded in place) or several. */
  private receive(): SentryReply {
    const h = this.h;
    let len = h[Ch.LEN]!;
    if ((h[Ch.FLAGS]! & Flag.MORE) === 0) {
      const r = this.reply;
      r.status = h[Ch.OP]!;
      r.value = this.dec.reset(this.data).value();
        return r;
    }
    let total = 0;
    while (h[Ch.FLAGS]! & Flag.MORE) {
      this.grow(total + len);
      this.scratch.set(this.data.subarray(0, len), total);
      total += len;
      h[Ch.FLAGS] = Flag.CONT;
      Atomics.store(h, Ch.STATE, State.REQ);
      announce(h, this.hub, this.id);
      this.waitResp();
      len = h[Ch.LEN]!;
    }
    this.grow(total + len);
    this.scratch.set(this.data.subarray(0, len), total);
    total += len;
    const r = this.reply;
    r.status = h[Ch.OP]!;
    r.value = this.dec.reset(this.scratch.subarray(0, total)).value();
    this.dec.reset(this.data);
    return r;
  }

  private grow(n: number): void {
    if (n <= this.scratch.length) return;
    let s = this.scratch.length * 2;
    while (s < n) s *= 2;
    const next = new Uint8Array(s);
    next.set(this.scratch);
    this.scratch = next;
  }
}
