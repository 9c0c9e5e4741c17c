/**
 * A small synchronous tar writer for image layers: ustar headers, a PAX
 * header for a path or link name that does not fit, no user or group
 * names, and nothing taken from the clock, so the same entries give the
 * same bytes. Isomorphic (no node:*): the Sentry side of `commit` can use it.
 */

/** One tar entry; `path` is relative (no leading `/`), a directory's without a trailing `/`. */
export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'link';
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** File content (type 'file'). */
  data?: Uint8Array;
  /** Symlink target, or the path of the hard link's first name (relative). */
  linkname?: string;
}

const enc = new TextEncoder();

function octal(buf: Uint8Array, off: number, len: number, n: number): void {
  const s = Math.max(0, Math.floor(n)).toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new RangeError(`tar: ${n} does not fit a ${len}-byte field`);
  buf.set(enc.encode(s), off);
}

function header(name: string, typeflag: string, e: Pick<TarEntry, 'mode' | 'uid' | 'gid' | 'mtime'>, size: number, linkname: string): Uint8Array {
  const h = new Uint8Array(512);
  h.set(enc.encode(name).subarray(0, 100), 0);
  octal(h, 100, 8, e.mode & 0o7777);
  octal(h, 108, 8, e.uid);
  octal(h, 116, 8, e.gid);
  octal(h, 124, 12, size);
  octal(h, 136, 12, e.mtime);
  h.fill(0x20, 148, 156);
  h.set(enc.encode(typeflag), 156);
  h.set(enc.encode(linkname).subarray(0, 100), 157);
  h.set(enc.encode('ustar\u000000'), 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\u0000 '), 148);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, new Uint8Array(512 - rest)];
}

/** One PAX record `LEN key=value\n` (LEN counts itself). */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = enc.encode(body).length + 1;
  while (String(len).length + enc.encode(body).length !== len) len++;
  return `${len}${body}`;
}

/** The tar of `entries`, in the order given, with the two zero blocks at the end. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = e.type === 'dir' ? `${e.path}/` : e.path;
    const link = e.linkname ?? '';
    const pax: string[] = [];
    if (enc.encode(name).length > 100) pax.push(paxRecord('path', name));
    if (enc.encode(link).length > 100) pax.push(paxRecord('linkpath', link));
    if (pax.length > 0) {
      const body = enc.encode(pax.join(''));
      parts.push(header('PaxHeader', 'x', { mode: 0o644, uid: 0, gid: 0, mtime: e.mtime }, body.length, ''), ...padded(body));
    }
    const flag = { file: '0', dir: '5', symlink: '2', link: '1' }[e.type];
    const data = e.type === 'file' ? e.data ?? new Uint8Array(0) : new Uint8Array(0);
    parts.push(header(name, flag, e, data.length, link));
    if (data.length > 0) parts.push(...padded(data));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
