/**
 * Byte helpers of the metering rewriter: a growable output buffer and
 * LEB128 reading. Isomorphic, no imports.
 */

/** Thrown for a module the rewriter cannot instrument (malformed, or a feature it does not decode). */
export class MeterError extends Error {
  constructor(readonly code: 'MALFORMED' | 'UNSUPPORTED' | 'NAME_CLASH', message: string) {
    super(message);
    this.name = 'MeterError';
  }
}

/**
 * A growable byte buffer written front to back, with 5-byte padded LEBs
 * patched in place later. Given the input module, it keeps a copy of it
 * after its free space (`input`), so that copying a run of the input is
 * one `copyWithin` in one buffer (no view to allocate).
 */
export class Out {
  buf: Uint8Array;
  n = 0;
  /** The copy of the input module in `buf` (read it instead of the original); null without one. */
  input: Uint8Array | null;
  /** Where `input` starts in `buf` (the output's capacity). */
  private cap: number;

  constructor(capacity: number, input?: Uint8Array) {
    this.cap = Math.max(64, capacity);
    if (input === undefined) {
      this.buf = new Uint8Array(this.cap);
      this.input = null;
    } else {
      this.buf = new Uint8Array(this.cap + input.length);
      this.buf.set(input, this.cap);
      this.input = this.buf.subarray(this.cap);
    }
  }

  /** Make room for `k` more bytes. */
  ensure(k: number): void {
    if (this.n + k <= this.cap) return;
    let cap = this.cap * 2;
    while (cap < this.n + k) cap *= 2;
    const input = this.input;
    const nb = new Uint8Array(cap + (input === null ? 0 : input.length));
    nb.set(this.buf.subarray(0, this.n));
    if (input !== null) { nb.set(input, cap); this.input = nb.subarray(cap); }
    this.buf = nb;
    this.cap = cap;
  }

  /** Append one byte. */
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.n++] = v;
  }

  /** Append `src[a..b)`. */
  copy(src: Uint8Array, a: number, b: number): void {
    const len = b - a;
    if (len <= 0) return;
    if (this.n + len > this.cap) this.ensure(len);
    const buf = this.buf;
    let n = this.n;
    if (len < 8) {
      for (let i = a; i < b; i++) buf[n++] = src[i]!;
      this.n = n;
    } else if (src === this.input) {
      buf.copyWithin(n, this.cap + a, this.cap + b);
      this.n = n + len;
    } else {
      buf.set(src.subarray(a, b), n);
      this.n = n + len;
    }
  }

  /** Append all of `a` (a short, prebuilt sequence). */
  put(a: Uint8Array): void {
    const len = a.length;
    if (this.n + len > this.cap) this.ensure(len);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) buf[n++] = a[i]!;
    this.n = n;
  }

  /** Append an unsigned LEB128 (minimal). */
  u32(v: number): void {
    this.ensure(5);
    do {
      let byte = v & 0x7f;
      v = v >>> 7;
      if (v !== 0) byte |= 0x80;
      this.buf[this.n++] = byte;
    } while (v !== 0);
  }

  /** Append a name (length + UTF-8 bytes). */
  name(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u32(bytes.length);
    this.copy(bytes, 0, bytes.length);
  }

  /** Reserve a 5-byte padded LEB128 (valid for u32 and non-negative s32 < 2^27); returns its position. */
  reserve5(): number {
    this.ensure(5);
    const at = this.n;
    this.n += 5;
    return at;
  }

  /** Write `v` (0 ≤ v < 2^27 for a signed use) as a 5-byte padded LEB128 at `at`. */
  patch5(at: number, v: number): void {
    const b = this.buf;
    b[at] = (v & 0x7f) | 0x80;
    b[at + 1] = ((v >>> 7) & 0x7f) | 0x80;
    b[at + 2] = ((v >>> 14) & 0x7f) | 0x80;
    b[at + 3] = ((v >>> 21) & 0x7f) | 0x80;
    b[at + 4] = (v >>> 28) & 0x0f;
  }

  /** The bytes written so far (a view). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/** Write `v` over the LEB128 at `b[at..end)` if it fits in as many bytes (padded); false if it does not. */
export function patchLeb(b: Uint8Array, at: number, end: number, v: number): boolean {
  const len = end - at;
  if (len < 5 && v >>> (7 * len) !== 0) return false;
  for (let i = at; i < end - 1; i++) { b[i] = (v & 0x7f) | 0x80; v >>>= 7; }
  b[end - 1] = v;
  return true;
}

/** The bytes of a minimal unsigned LEB128. */
export function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = v >>> 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** A cursor over module bytes that reads LEB128s and names, throwing MALFORMED past `end`. */
export class Reader {
  constructor(readonly b: Uint8Array, public p: number, public end: number) {}

  /** Read an unsigned LEB128 of at most 5 bytes. */
  u32(): number {
    const b = this.b;
    let v = 0;
    let shift = 0;
    for (;;) {
      if (this.p >= this.end) throw new MeterError('MALFORMED', 'truncated LEB128');
      const byte = b[this.p++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7;
      if (shift > 28) throw new MeterError('MALFORMED', 'LEB128 too long');
    }
  }

  /** Skip any LEB128 (up to 10 bytes: s64/u64). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) {
      if (this.p >= this.end) break;
      if ((this.b[this.p++]! & 0x80) === 0) return;
    }
    throw new MeterError('MALFORMED', 'bad LEB128');
  }

  /** Read one byte. */
  byte(): number {
    if (this.p >= this.end) throw new MeterError('MALFORMED', 'unexpected end of section');
    return this.b[this.p++]!;
  }

  /** Skip a name (length + bytes). */
  skipName(): void {
    const n = this.u32();
    this.p += n;
    if (this.p > this.end) throw new MeterError('MALFORMED', 'name runs past its section');
  }

  /** Read a name as a string. */
  name(): string {
    const n = this.u32();
    if (this.p + n > this.end) throw new MeterError('MALFORMED', 'name runs past its section');
    const s = new TextDecoder().decode(this.b.subarray(this.p, this.p + n));
    this.p += n;
    return s;
  }

  /** Skip a value type (one byte, or a `ref`/`ref null` with its heap type). */
  skipValType(): void {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.skipLeb();
  }
}
