/**
 * The generic value codec of the sentry platform's SAB channel (not the
 * guest-memory ABI codec, kernel/abi/codec.ts): a compact binary encoding
 * of plain values, what the ABI layer decodes from guest memory (numbers,
 * bigints, strings, byte arrays, arrays, plain objects) and what handlers
 * return. Faster than
 * structured clone for the tiny messages syscalls make, and it writes into
 * a reusable scratch buffer so that a hot call allocates almost nothing.
 *
 * The tags and payloads are the protocol module's (`ValueTag` in
 * kernel/platform/sentry_protocol.ts). Object keys starting with `_` are
 * not sent: by the kernel ABI's rule they are private to the side that
 * decoded guest memory (pointers for encode).
 */
import { ValueTag } from '../../kernel/platform/sentry_protocol.js';

// module constants, as before the tags moved to the protocol module (the hot paths read them unchanged)
const {
  UNDEF: T_UNDEF, NULL: T_NULL, FALSE: T_FALSE, TRUE: T_TRUE, I32: T_I32, F64: T_F64, I64: T_I64,
  U64: T_U64, STR: T_STR, BYTES: T_BYTES, ARR: T_ARR, OBJ: T_OBJ, BIG: T_BIG,
} = ValueTag;

const I64_MIN = -(1n << 63n), U64_MAX = (1n << 64n) - 1n;

const utf8Enc = new TextEncoder();
const utf8Dec = new TextDecoder();

/**
 * The biggest private buffer an Encoder keeps between messages. One channel
 * has one encoder on each side for as long as its task lives: a buffer kept
 * after one huge message (a guest's 2 GiB read) would stay allocated in the
 * Sentry, uncounted, until the task ends.
 */
export const SPARE_MAX = 1 << 20;
/** Room left after one value too big for doubling, for the fields that follow it. */
const BIG_SLACK = 4096;

/** Thrown when a value cannot be put on the wire (functions, symbols, class instances other than Uint8Array). */
export class CodecError extends Error {
  readonly code = 'ECODEC';
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/**
 * Encodes values into a buffer reused between messages. Given a `home`
 * buffer (a channel's shared data area), it writes there directly, so a
 * message that fits is never copied; a bigger one moves to a private
 * growable buffer (`inHome` turns false) and travels in chunks.
 */
export class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private readonly home: Uint8Array | null;
  private readonly homeView: DataView | null;
  private spare: Uint8Array | null = null;
  /** Bytes written so far in the current message. */
  pos = 0;

  constructor(initial: number | Uint8Array = 4096) {
    if (typeof initial === 'number') {
      this.home = null;
      this.homeView = null;
      this.buf = new Uint8Array(initial);
    } else {
      this.home = initial;
      this.buf = initial;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.homeView = this.home ? this.view : null;
  }

  /** Start a new message (back in the home buffer, if any; a private buffer over SPARE_MAX is let go). */
  reset(): this {
    this.pos = 0;
    if (this.home !== null && this.buf !== this.home) {
      this.buf = this.home;
      this.view = this.homeView!;
    }
    if (this.spare !== null && this.spare.length > SPARE_MAX) this.spare = null;
    return this;
  }

  /** True while the current message lies in the home buffer. */
  get inHome(): boolean {
    return this.home !== null && this.buf === this.home;
  }

  /** The bytes of the current message (a view on the scratch buffer, valid until the next reset). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    // doubling while a message grows field by field; one value bigger than that (a guest's
    // 2 GiB write) gets what it needs plus room for the fields after it, not the next power
    // of two (up to twice its size, or past the longest typed array)
    let size = Math.max(this.buf.length * 2, 4096);
    if (size < need) size = need + BIG_SLACK;
    let next = this.spare;
    if (next === null || next.length < size) next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    if (this.home !== null) this.spare = next;
  }

  private u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  private u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private str(s: string): void {
    // ASCII fast path: most paths and keys are short ASCII strings
    const n = s.length;
    if (n < 64) {
      this.ensure(5 + n);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        this.buf[this.pos + 4 + i] = c;
      }
      if (i === n) {
        this.view.setUint32(this.pos, n, true);
        this.pos += 4 + n;
        return;
      }
    }
    const b = utf8Enc.encode(s);
    this.u32(b.length);
    this.raw(b);
  }

  /** Append one value. */
  value(v: unknown): this {
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.ensure(5);
          this.buf[this.pos] = T_I32;
          this.view.setInt32(this.pos + 1, v, true);
          this.pos += 5;
        } else {
          this.ensure(9);
          this.buf[this.pos] = T_F64;
          this.view.setFloat64(this.pos + 1, v, true);
          this.pos += 9;
        }
        return this;
      case 'bigint':
        this.ensure(9);
        if (v >= I64_MIN && v < 0n) {
          this.buf[this.pos] = T_I64;
          this.view.setBigInt64(this.pos + 1, v, true);
        } else if (v >= 0n && v <= U64_MAX) {
          this.buf[this.pos] = T_U64;
          this.view.setBigUint64(this.pos + 1, v, true);
        } else {
          this.u8(T_BIG);
          this.str(v.toString());
          return this;
        }
        this.pos += 9;
        return this;
      case 'string':
        this.u8(T_STR);
        this.str(v);
        return this;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return this;
      case 'undefined':
        this.u8(T_UNDEF);
        return this;
      case 'object':
        if (v === null) {
          this.u8(T_NULL);
        } else if (v instanceof Uint8Array) {
          this.u8(T_BYTES);
          this.u32(v.length);
          this.raw(v);
        } else if (Array.isArray(v)) {
          this.u8(T_ARR);
          this.u32(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i]);
        } else {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) {
            throw new CodecError(`cannot encode a ${proto?.constructor?.name ?? 'object'}: only plain objects, arrays and Uint8Array`);
          }
          this.u8(T_OBJ);
          this.ensure(4);
          const at = this.pos;
          this.pos += 4;
          let n = 0;
          for (const k in v) {
            if (k.charCodeAt(0) === 95 || !Object.prototype.hasOwnProperty.call(v, k)) continue;
            n++;
            this.str(k); // keys are short ASCII: the inline path beats a cache lookup and a copy
            this.value((v as Record<string, unknown>)[k]);
          }
          this.view.setUint32(at, n, true);
        }
        return this;
      default:
        throw new CodecError(`cannot encode a ${typeof v}`);
    }
  }
}

/**
 * Decodes one message. The bytes may live in shared memory: byte arrays are
 * copied out and long strings are copied before TextDecoder (which refuses
 * shared views in browsers). `reset` reuses one decoder for many messages.
 */
export class Decoder {
  private view: DataView;
  private pos = 0;
  private buf: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Decode from `buf` next (the view is rebuilt only when the buffer changes). */
  reset(buf: Uint8Array): this {
    if (buf !== this.buf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.buf = buf;
    }
    this.pos = 0;
    return this;
  }

  /** Keys seen lately, by where they sat in their message (the same few keys come at the same places in every message). */
  private readonly keyAt: (string | undefined)[] = new Array(256);

  /** An object key: a short one that matches the key last seen at its place is reused (no new string). */
  private key(): string {
    const n = this.view.getUint32(this.pos, true);
    if (n > 0 && n <= 16) {
      const start = this.pos + 4;
      const slot = (start * 7 + n) & 255;
      const k = this.keyAt[slot];
      if (k !== undefined && k.length === n) {
        const buf = this.buf;
        let i = 0;
        while (i < n && k.charCodeAt(i) === buf[start + i]) i++;
        if (i === n) {
          this.pos = start + n;
          return k;
        }
      }
      const s = this.str();
      this.keyAt[slot] = s;
      return s;
    }
    return this.str();
  }

  private u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private str(): string {
    const n = this.u32();
    const start = this.pos;
    this.pos += n;
    if (n < 32) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i]!;
        if (c > 0x7f) return utf8Dec.decode(this.buf.slice(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Dec.decode(this.buf.slice(start, start + n));
  }

  /** Read the next value. */
  value(): unknown {
    const tag = this.buf[this.pos++];
    switch (tag) {
      case T_UNDEF: return undefined;
      case T_NULL: return null;
      case T_FALSE: return false;
      case T_TRUE: return true;
      case T_I32: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case T_F64: {
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_I64: {
        const v = this.view.getBigInt64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_U64: {
        const v = this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_STR: return this.str();
      case T_BYTES: {
        const n = this.u32();
        // copy: the caller's buffer is scratch that the next message overwrites
        const out = this.buf.slice(this.pos, this.pos + n);
        this.pos += n;
        return out;
      }
      case T_ARR: {
        const n = this.u32();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case T_OBJ: {
        const n = this.u32();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.key();
          out[k] = this.value();
        }
        return out;
      }
      case T_BIG: return BigInt(this.str());
      default:
        throw new CodecError(`bad tag ${tag} at ${this.pos - 1}`);
    }
  }
}

/** Encode `v` into a fresh byte array (tests and cold paths). */
export function encode(v: unknown): Uint8Array {
  return new Encoder().value(v).bytes().slice();
}

/** Decode one value from `b`. */
export function decode(b: Uint8Array): unknown {
  return new Decoder(b).value();
}
