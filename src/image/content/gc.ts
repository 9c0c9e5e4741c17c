/**
 * Garbage collection of the content store (`wasmvisor prune`, `rmi`):
 * mark and sweep. The roots are every image name's target, plus the blobs
 * held by live leases. Marking walks index → manifests → config and layers
 * through the content actually present; everything unmarked is deleted.
 *
 * A lease protects content between its commit and the moment a name points
 * at it (a pull in progress in another process): `<root>/leases/<id>.json`
 * holds the owner's pid and the digests; leases of dead processes are
 * ignored and removed. Ingests whose lock is free and that have not been
 * touched for `ingestMaxAgeMs` are aborted too.
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pidAlive, writeFileAtomic, tryLock } from './content_files.js';
import type { Digest } from './digest.js';
import { chainIds } from '../snapshot/chain_id.js';
import { layerSources } from './image_config.js';
import { childDescriptors, readConfig, readManifest } from './manifest_store.js';
import { SnapshotStore } from '../snapshot/snapshot.js';
import { isIndexType, isManifestType } from './media_types.js';
import type { Store } from './store_root.js';

/** Content held against collection while a pull or import is in progress. */
export class Lease {
  private readonly digests = new Set<Digest>();
  private readonly file: string;

  private constructor(root: string) {
    this.file = path.join(root, 'leases', `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  }

  /** Create an (empty) lease under `root`. */
  static async create(root: string): Promise<Lease> {
    const l = new Lease(root);
    await fsp.mkdir(path.dirname(l.file), { recursive: true });
    await l.save();
    return l;
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify({ pid: process.pid, digests: [...this.digests] }));
  }

  /** Protect `digest` (call before committing it). */
  async add(digest: Digest): Promise<void> {
    if (this.digests.has(digest)) return;
    this.digests.add(digest);
    await this.save();
  }

  /** Drop the lease (after a name points at the content, or on failure). */
  async release(): Promise<void> {
    await fsp.rm(this.file, { force: true });
  }
}

/** Digests held by live leases; leases of dead processes are removed. */
async function leasedDigests(root: string): Promise<Set<Digest>> {
  const dir = path.join(root, 'leases');
  const out = new Set<Digest>();
  for (const n of await fsp.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, n);
    try {
      const l = JSON.parse(await fsp.readFile(file, 'utf8')) as { pid: number; digests: Digest[] };
      if (pidAlive(l.pid)) l.digests.forEach((d) => out.add(d));
      else await fsp.rm(file, { force: true });
    } catch {
      /* a lease being written; its owner is alive by definition */
    }
  }
  return out;
}

/** What a collection did. */
export interface GcResult {
  /** Blobs deleted. */
  removed: Digest[];
  /** Bytes freed. */
  bytes: number;
  /** Ingests aborted. */
  ingests: string[];
}

/** Options of {@link collectGarbage}. */
export interface GcOptions {
  /** Abort unlocked ingests untouched for this long (default 1 hour; 0 = all unlocked ones). */
  ingestMaxAgeMs?: number;
  /** Only report what would be removed. */
  dryRun?: boolean;
}

/** Every digest reachable from the image names and live leases. */
export async function markReachable(store: Store): Promise<Set<Digest>> {
  const marked = await leasedDigests(store.root);
  const walked = new Set<Digest>();
  const queue: { digest: Digest; mediaType: string }[] = (await store.images.list()).map((r) => r.target);
  while (queue.length > 0) {
    const desc = queue.pop()!;
    marked.add(desc.digest);
    if (walked.has(desc.digest)) continue;
    walked.add(desc.digest);
    if (!(isIndexType(desc.mediaType) || isManifestType(desc.mediaType))) continue;
    if (!(await store.content.has(desc.digest))) continue;
    try {
      const m = await readManifest(store.content, desc);
      for (const c of childDescriptors(m)) queue.push(c);
    } catch {
      /* an unreadable manifest marks nothing below it */
    }
  }
  return marked;
}

/** Delete every blob no image name or live lease reaches; abort stale ingests. */
export async function collectGarbage(store: Store, opts: GcOptions = {}): Promise<GcResult> {
  const marked = await markReachable(store);
  const result: GcResult = { removed: [], bytes: 0, ingests: [] };
  for (const info of await store.content.list()) {
    if (marked.has(info.digest)) continue;
    result.removed.push(info.digest);
    result.bytes += info.size;
    if (!opts.dryRun) await store.content.delete(info.digest).catch(() => undefined);
  }
  const maxAge = opts.ingestMaxAgeMs ?? 3_600_000;
  for (const st of await store.content.listStatuses()) {
    if (Date.now() - st.updatedAt.getTime() < maxAge) continue;
    if (opts.dryRun) {
      result.ingests.push(st.ref);
      continue;
    }
    // only abort an ingest nobody holds: take its lock first
    if (await tryLock(path.join(store.content.ingestPath(st.ref), 'lock'))) {
      await store.content.abort(st.ref);
      result.ingests.push(st.ref);
    }
  }
  return result;
}

/**
 * Remove unpacked snapshots (`<root>/snapshots`) that no image in the store
 * still needs and no container owns; resolves to the chain IDs removed.
 */
export async function pruneSnapshots(store: Store): Promise<Digest[]> {
  const keep = new Set<string>();
  for (const rec of await store.images.list()) {
    try {
      const top = await readManifest(store.content, rec.target);
      const manifests = top.kind === 'index' ? top.index.manifests : [rec.target];
      for (const m of manifests) {
        if (!(await store.content.has(m.digest))) continue;
        const parsed = top.kind === 'index' ? await readManifest(store.content, m) : top;
        if (parsed.kind !== 'manifest') continue;
        const config = await readConfig(store.content, parsed.manifest.config.digest);
        chainIds(layerSources(parsed.manifest, config).map((l) => l.diffId)).forEach((c) => keep.add(c));
      }
    } catch {
      /* an incomplete image keeps nothing */
    }
  }
  return new SnapshotStore(store.root, store.content).prune(keep);
}
