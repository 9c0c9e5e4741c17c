/**
 * `push`: upload a local image to a registry (OCI distribution-spec push).
 *
 * Blobs first, then manifests, then the index (children by digest, the top
 * by tag), so that a registry never holds a manifest whose blobs are
 * missing. For each blob: HEAD (already there: skip); a cross-repository
 * mount when the image came from another repository of the same registry
 * (`POST …/blobs/uploads/?mount=D&from=REPO`, 201 = done, 202 = an upload
 * session to use instead); otherwise an upload session, then one PUT
 * (monolithic) for blobs up to `chunkSize`, or PATCHes of `chunkSize` bytes
 * with `Content-Range` and a closing PUT for larger ones. The upload
 * `Location` may be absolute and already carry a query (`?_state=…`): the
 * digest is appended with `&`. Blob bodies are `application/octet-stream`
 * (distribution refuses others with DIGEST_INVALID).
 */
import { Readable } from 'node:stream';
import type { Digest } from '../content/digest.js';
import { childDescriptors, findImage, readManifest, resolveRecord } from '../content/manifest_store.js';
import type { Descriptor } from '../content/manifest.js';
import { silentProgress, type Progress } from '../transport/progress.js';
import { parseReference, type Reference } from '../reference/reference.js';
import { RegistryClient, RegistryError } from './registry.js';
import type { Endpoint } from './registry_config.js';
import { discard, header, type HttpResponse } from './registry_http.js';
import type { Store } from '../content/store_root.js';

/** How to push. */
export interface PushOptions {
  client: RegistryClient;
  progress?: Progress;
  /** Blobs larger than this go up in chunks of this size (default 64 MiB). */
  chunkSize?: number;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Repository on the destination registry to mount blobs from (default: the source image's, if on the same registry). */
  mountFrom?: string;
}

/** What a push did (the `--format json` output). */
export interface PushResult {
  name: string;
  digest: Digest;
  mediaType: string;
  blobs: { uploaded: number; existed: number; mounted: number; bytes: number };
}

/** Upload-session URL for `loc` (relative or absolute) on `ep`. */
function absolute(client: RegistryClient, ep: Endpoint, loc: string | undefined): string {
  if (!loc) throw new RegistryError('PROTOCOL', `registry ${ep.host} started an upload without a Location header`);
  return new URL(loc, client.baseUrl(ep) + '/').toString();
}

/** Append `digest=` to an upload URL that may already have a query. */
function withDigest(url: string, digest: Digest): string {
  return `${url}${url.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

async function expect(client: RegistryClient, ep: Endpoint, res: HttpResponse, want: number[], what: string): Promise<HttpResponse> {
  if (!want.includes(res.status)) await client.fail(ep, res, what);
  return res;
}

/** Push local image `source` to `dest` (default: the same name). */
export async function pushImage(store: Store, source: string, dest: string | Reference | undefined, opts: PushOptions): Promise<PushResult> {
  const rec = await findImage(store, source);
  const ref = dest === undefined ? parseReference(rec.name) : typeof dest === 'string' ? parseReference(dest) : dest;
  const client = opts.client;
  const progress = opts.progress ?? silentProgress;
  const ep = client.endpoints(ref, { noMirrors: true })[0];
  const stats = { uploaded: 0, existed: 0, mounted: 0, bytes: 0 };
  let mountFrom = opts.mountFrom;
  if (mountFrom === undefined) {
    try {
      const src = parseReference(rec.name);
      if (src.registry === ref.registry && src.repository !== ref.repository) mountFrom = src.repository;
    } catch {
      /* a name that is not a reference: nothing to mount from */
    }
  }

  // What to send: the whole index if every child is here, else the one manifest that is.
  const top = await readManifest(store.content, rec.target);
  let manifests: Descriptor[] = [];
  let topDesc: Descriptor = rec.target;
  if (top.kind === 'index') {
    const all = top.index.manifests;
    const present = await Promise.all(all.map((m) => store.content.has(m.digest)));
    if (present.every(Boolean)) manifests = all;
    else topDesc = (await resolveRecord(store, rec)).manifestDesc;
  }
  if (manifests.length === 0) manifests = [topDesc];

  for (const m of manifests) {
    const parsed = await readManifest(store.content, m);
    const blobs = childDescriptors(parsed);
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (next < blobs.length && failure === undefined) {
        const b = blobs[next++];
        try {
          await pushBlob(store, client, ep, b, mountFrom, opts.chunkSize ?? 64 << 20, progress, stats);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 3, blobs.length) }, worker));
    if (failure !== undefined) throw failure;
    if (m !== topDesc) await putManifest(store, client, ep, m, m.digest);
  }
  await putManifest(store, client, ep, topDesc, ref.digest && !ref.tag ? ref.digest : ref.tag ?? 'latest');
  progress.log(`${ref}: ${topDesc.digest}`);
  return { name: ref.toString(), digest: topDesc.digest, mediaType: topDesc.mediaType, blobs: stats };
}

async function putManifest(store: Store, client: RegistryClient, ep: Endpoint, desc: Descriptor, object: string): Promise<void> {
  const bytes = await store.content.readAll(desc.digest, desc.size + 1);
  const res = await client.request(ep, {
    method: 'PUT',
    path: `manifests/${object}`,
    headers: { 'Content-Type': desc.mediaType },
    body: bytes,
    actions: 'pull,push',
  });
  await expect(client, ep, res, [201, 200], `manifest upload ${ep.repository}:${object}`);
  await discard(res);
}

/** One blob: skip if present, else mount, else upload (retrying the whole upload up to 3 times). */
async function pushBlob(
  store: Store,
  client: RegistryClient,
  ep: Endpoint,
  desc: Descriptor,
  mountFrom: string | undefined,
  chunkSize: number,
  progress: Progress,
  stats: PushResult['blobs'],
): Promise<void> {
  const id = desc.digest;
  progress.start(id, `Copying blob ${desc.digest.slice(7, 19)}`, desc.size);
  if (await client.hasBlob(ep, desc.digest, 'pull,push')) {
    stats.existed++;
    progress.finish(id, 'exists');
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      let res: HttpResponse;
      if (mountFrom) {
        res = await client.request(ep, {
          method: 'POST',
          path: `blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}`,
          actions: 'pull,push',
          scopes: [`repository:${mountFrom}:pull`],
        });
        if (res.status === 201) {
          await discard(res);
          stats.mounted++;
          progress.finish(id, 'mounted');
          return;
        }
      } else {
        res = await client.request(ep, { method: 'POST', path: 'blobs/uploads/', actions: 'pull,push' });
      }
      await expect(client, ep, res, [202], `upload of blob ${desc.digest}`);
      await discard(res);
      let loc = absolute(client, ep, header(res, 'location'));
      const body = (offset: number, length: number) => () => Readable.from(store.content.stream(desc.digest, { offset, length }));
      if (desc.size <= chunkSize) {
        const put = await client.request(ep, {
          method: 'PUT',
          path: withDigest(loc, desc.digest),
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(desc.size) },
          body: body(0, desc.size),
          actions: 'pull,push',
          noRetry: true,
        });
        await expect(client, ep, put, [201], `upload of blob ${desc.digest}`);
        await discard(put);
      } else {
        for (let off = 0; off < desc.size; off += chunkSize) {
          const len = Math.min(chunkSize, desc.size - off);
          const patch = await client.request(ep, {
            method: 'PATCH',
            path: loc,
            headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(len), 'Content-Range': `${off}-${off + len - 1}` },
            body: body(off, len),
            actions: 'pull,push',
            noRetry: true,
          });
          await expect(client, ep, patch, [202], `chunk upload of blob ${desc.digest}`);
          await discard(patch);
          loc = absolute(client, ep, header(patch, 'location') ?? loc);
          progress.advance(id, len);
        }
        const put = await client.request(ep, { method: 'PUT', path: withDigest(loc, desc.digest), actions: 'pull,push', noRetry: true });
        await expect(client, ep, put, [201], `upload of blob ${desc.digest}`);
        await discard(put);
      }
      if (desc.size <= chunkSize) progress.advance(id, desc.size);
      stats.uploaded++;
      stats.bytes += desc.size;
      progress.finish(id, 'done');
      return;
    } catch (err) {
      const retryable = !(err instanceof RegistryError) || err.code === 'UNREACHABLE' || (err.status ?? 0) >= 500;
      if (!retryable || attempt >= 3) {
        progress.finish(id, 'failed');
        throw err;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
