/**
 * A minimal tracker of tar block framing, run beside the real parser, to
 * tell a tar that merely lacks its final padding and end-of-archive blocks
 * (umoci 0.4 `insert` writes such layers; Go's archive/tar and umoci read
 * them) from one truncated inside an entry's data (refused). It reads only
 * each header's size field; PAX size overrides are not followed, which can
 * only make it decline to pad.
 */

const BLOCK = 512;

/** Follows header/data boundaries over a byte stream. */
export class TarFraming {
  private pos = 0;
  private next = 0;
  private dataEnd = 0;
  private readonly head = new Uint8Array(BLOCK);
  private headFill = 0;

  /** Feed the next chunk of the uncompressed stream. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.pos < this.next) {
        const skip = Math.min(this.next - this.pos, chunk.length - i);
        i += skip;
        this.pos += skip;
        continue;
      }
      const take = Math.min(BLOCK - this.headFill, chunk.length - i);
      this.head.set(chunk.subarray(i, i + take), this.headFill);
      this.headFill += take;
      i += take;
      this.pos += take;
      if (this.headFill === BLOCK) {
        this.headFill = 0;
        const size = headerSize(this.head);
        this.dataEnd = this.pos + size;
        this.next = this.pos + Math.ceil(size / BLOCK) * BLOCK;
      }
    }
  }

  /**
   * Zero bytes to append so the stream ends on a block boundary after the
   * last entry's data: 0 when already aligned, null when the stream stops
   * inside a header or inside an entry's data (truly truncated).
   */
  missingPadding(): number | null {
    if (this.headFill !== 0) return null;
    if (this.pos === this.next) return 0;
    if (this.pos >= this.dataEnd && this.pos < this.next) return this.next - this.pos;
    return null;
  }
}

/** The size field of a tar header (octal, or base-256 when the high bit is set); 0 for a zero block. */
function headerSize(h: Uint8Array): number {
  if (h[124] & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i];
    return n;
  }
  let s = '';
  for (let i = 124; i < 136; i++) {
    const c = h[i];
    if (c === 0 || c === 0x20) { if (s) break; continue; }
    s += String.fromCharCode(c);
  }
  const n = parseInt(s || '0', 8);
  return Number.isFinite(n) ? n : 0;
}
