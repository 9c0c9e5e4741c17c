/**
 * Random bytes for ids and names (container ids, generated names), read
 * from /dev/urandom: loading node:crypto costs a one-shot process such as
 * `wasmvisor run` about 15–30 ms of start-up, a read of /dev/urandom well
 * under one. Where /dev/urandom cannot be read, WebCrypto fills them. Both
 * are the kernel's CSPRNG.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** `n` random bytes (as node:crypto's `randomBytes(n)`). */
export function randomBytes(n: number): Buffer {
  const buf = Buffer.alloc(n);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    for (let off = 0; off < n;) {
      const got = readSync(fd, buf, off, n - off, null);
      if (got <= 0) throw new Error('short read of /dev/urandom');
      off += got;
    }
  } catch {
    crypto.getRandomValues(buf);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return buf;
}
