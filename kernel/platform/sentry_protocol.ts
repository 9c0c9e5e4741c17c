/**
 * The sentry platform's shared-memory protocol: the one description of the
 * SAB channel that both sides read. Constants and types only (as comlink's
 * protocol.ts): the app side (kernel/platform/sentry_app.ts,
 * sentry_fast.ts, src/sentry/channel.ts), the Sentry side
 * (kernel/platform/sentry.ts, src/sentry/channel_server.ts,
 * src/sentry/sentry_core.ts), the fixed wire layouts (sentry_wire.ts) and
 * the generic value codec (src/sentry/value_codec.ts) take every offset,
 * op, status and tag from here. Isomorphic: no I/O, no host APIs.
 *
 * One task channel is a SharedArrayBuffer: HEADER_BYTES of header, then
 * the data area (DEFAULT_CHANNEL_DATA bytes unless the creator says).
 *
 *   bytes  0–27  Int32 header words (`Ch`):
 *     STATE   IDLE → REQ (app wrote a chunk) → RESP (Sentry wrote a chunk) → REQ …
 *             (RESP stays until the next request: no store after reading an
 *             answer, one write fewer to the shared line per call); CLOSED
 *             once the Sentry dropped the channel
 *     PARKED  1 while the app thread sleeps in Atomics.wait (Sentry must notify)
 *     OP      request opcode (`SentryOp`, or a syscall's table index) /
 *             response status (`SentryStatus`, or an errno ≥ 0)
 *     LEN     bytes of this chunk in the data area
 *     FLAGS   `Flag`: MORE: more chunks follow · ACK: Sentry took a chunk,
 *             send the next · CONT: app took a response chunk, send the
 *             next · FIXED: the message is in its call's fixed layout
 *     ID      the channel's id (spare; the hub carries ids)
 *     WATCH   1 while the Sentry spins on this channel's STATE (it answered
 *             the last request and expects the next soon): a request then
 *             needs no ring entry. The app stores STATE first and reads
 *             WATCH after; the Sentry clears WATCH first and reads STATE
 *             after: with sequentially consistent atomics, either the app
 *             sees WATCH 0 and rings, or the Sentry sees the request (a
 *             duplicate entry is ignored as stale).
 *   bytes 32–63  WIRE_WORDS argument/result words of the fixed layouts
 *                (sentry_wire.ts: the hot calls' scalars, no keys, no tags)
 *   bytes 64–79  the task's CPU clock, kept by the app side (two float64 ms
 *                on the process's clock, `performance.timeOrigin + now()`):
 *                BASE = start + time parked so far; PARK = when the current
 *                park began, 0 while not parked. CPU time = now − BASE −
 *                (PARK ? now − PARK : 0): the time the task's thread was not
 *                asleep waiting for the Sentry
 *   bytes 80–95  spare
 *
 * Messages larger than the data area travel in chunks (MORE / ACK / CONT),
 * so any size works. A message is either in its call's fixed layout
 * (FIXED; a value that does not fit falls back to the generic encoding for
 * that message) or in the generic value encoding (`ValueTag`).
 *
 * The hub (one per Sentry) is how one Sentry serves N channels without
 * blocking on any: an Int32Array whose words are `Hub`. An app worker
 * pushes its channel id + 1 onto the ring (`Atomics.add` on TAIL reserves a
 * slot) and notifies TAIL only when SLEEPING is 1. CAP, a power of two, is
 * the ring's capacity (≥ the number of channels: each has at most one
 * request outstanding, so the ring cannot overflow).
 */

/** Header word indices of a task channel (Int32). */
export const Ch = { STATE: 0, PARKED: 1, OP: 2, LEN: 3, FLAGS: 4, ID: 5, WATCH: 6 } as const;
/** Values of `Ch.STATE`. */
export const State = { IDLE: 0, REQ: 1, RESP: 2, CLOSED: 3 } as const;
/** Bits of `Ch.FLAGS`. */
export const Flag = { MORE: 1, ACK: 2, CONT: 4, FIXED: 8 } as const;
/** Hub word indices (Int32); ring slots start at RING. */
export const Hub = { TAIL: 0, SLEEPING: 1, CAP: 2, RING: 4 } as const;

/** Bytes before a channel's data area (8-byte aligned: the data area is read as u64 words). */
export const HEADER_BYTES = 96;
/** Byte offset of the fixed layouts' argument words in a channel header. */
export const WIRE_WORDS_OFFSET = 32;
/** Number of fixed-layout argument words (i32; the same bytes as WIRE_WORDS / 2 u64 words). */
export const WIRE_WORDS = 8;
/** Byte offset of the CPU clock words (two float64, `Clock`) in a channel header. */
export const CLOCK_OFFSET = 64;
/** Indices of the CPU clock words (Float64Array at CLOCK_OFFSET). */
export const Clock = { BASE: 0, PARK: 1 } as const;
/** Default data area of a channel: 64 KiB. */
export const DEFAULT_CHANNEL_DATA = 64 * 1024;
/** Default hub capacity (channels per Sentry; a power of two). */
export const DEFAULT_HUB_CAPACITY = 4096;

/** The fixed-layout argument word of fd_read's and fd_pread's `noWait` flag (1: set). */
export const NOWAIT_WORD = 4;

/**
 * Control ops an app worker sends besides syscalls. A syscall's op is its
 * index in kernel/syscalls/table.ts (`nr`), always below these.
 */
export const SentryOp = {
  /** `_start` returned or trapped; value: ExitStatus. Answered with status 0. */
  EXIT: 1000,
  /** Report the guest memory size in bytes (value: number); answered with 0. */
  MEMORY: 1001,
  /**
   * A metered guest spent its quantum (value: fuel run since the last one);
   * answered with the next quantum, after a wait when the task is paused or
   * throttled (cpu.max, cpu.weight), or with EXIT (RLIMIT_CPU, a kill).
   */
  FUEL: 1002,
} as const;

/**
 * Response statuses. An errno (≥ 0; 0 is success) carries the call's
 * result (success) or nothing; a negative status carries a value in the
 * generic encoding, never in a fixed layout.
 */
export const SentryStatus = {
  /** The task ended (value: ExitStatus); the app worker unwinds the guest. */
  EXIT: -2,
  /** A kernel bug in the serve loop (value: message); the app worker sees EIO. */
  BUG: -3,
} as const;

/** One answer on a channel, as either side sees it. */
export interface SentryReply {
  status: number;
  value: unknown;
}

/**
 * Tags of the generic value encoding (one byte, little-endian payloads):
 * i32 / f64 / i64 / u64: 4 / 8 / 8 / 8 bytes; STR: u32 byte length, UTF-8;
 * BYTES: u32 length, raw; ARR: u32 count, items; OBJ: u32 count, then
 * (key as a STR payload, value)*; BIG: a bigint outside i64/u64 as a
 * decimal STR payload. Object keys starting with `_` are not sent (ABI-
 * private to the side that decoded guest memory).
 */
export const ValueTag = {
  UNDEF: 0, NULL: 1, FALSE: 2, TRUE: 3, I32: 4, F64: 5, I64: 6,
  U64: 7, STR: 8, BYTES: 9, ARR: 10, OBJ: 11, BIG: 12,
} as const;
