/**
 * Small helpers that put bytes into the content store through its ingest
 * protocol (write, then verified commit), for import and pack.
 */
import { randomBytes } from 'node:crypto';
import type { IngestManager, Ingester, Provider } from '../content/content_store.js';
import { sha256Digest, type Digest } from '../content/digest.js';

/** Store `bytes`; resolves to their digest (present content is not rewritten). */
export async function putBytes(content: Ingester & Pick<Provider, 'has'> & Partial<Pick<IngestManager, 'abort'>>, bytes: Uint8Array): Promise<Digest> {
  const digest = sha256Digest(bytes);
  if (await content.has(digest)) return digest;
  const w = await content.writer({ ref: `put-${digest}`, expected: digest, total: bytes.length });
  try {
    await w.reset();
    await w.write(bytes);
    await w.commit(bytes.length, digest);
  } catch (err) {
    await w.close().catch(() => {});
    await content.abort?.(`put-${digest}`).catch(() => {});
    throw err;
  }
  return digest;
}

/**
 * Store a stream. With `expected`, the commit checks it (and its `size`);
 * without, the content is stored under the digest computed while writing.
 * Resolves to the digest, the size and whether the store already had it.
 * On failure the ingest is aborted (a local source is read again whole, not resumed).
 */
export async function putStream(
  content: Ingester & Pick<Provider, 'has'> & Partial<Pick<IngestManager, 'abort'>>,
  src: AsyncIterable<Uint8Array>,
  opts: { expected?: Digest; size?: number; ref?: string } = {},
): Promise<{ digest: Digest; size: number; existed: boolean }> {
  const ref = opts.ref ?? (opts.expected ? `put-${opts.expected}` : `put-${randomBytes(8).toString('hex')}`);
  const w = await content.writer({ ref, expected: opts.expected, total: opts.size });
  let size = 0;
  try {
    await w.reset();
    for await (const c of src) {
      await w.write(c);
      size += c.length;
    }
    const digest = opts.expected ?? w.digest();
    const existed = await content.has(w.digest());
    await w.commit(opts.size ?? size, digest);
    return { digest, size, existed };
  } catch (err) {
    await w.close().catch(() => {});
    await content.abort?.(ref).catch(() => {});
    throw err;
  }
}
