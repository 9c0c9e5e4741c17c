/**
 * The on-disk cache of metered modules (Node only; the browser keeps the
 * per-process one of module_loader.ts). Rewriting a module for CPU metering
 * costs ~15 ms per MB (460 ms for the 31 MB yosys module), and every fresh
 * process that meters (`wasmvisor run --cpus`, each `run -d` sandbox, each
 * wasmvisor-runc container) would pay it again.
 *
 * Layout, under the store root (`--root`, `$WASMVISOR_ROOT`, …):
 * ```
 * cache/metered/KEY.wasm   the metered module, then the sha256 of those bytes (32 bytes)
 * cache/metered/.tmp-*     a file being written (renamed into place when whole)
 * ```
 * KEY is the sha256 of the input module, the rewriter's `METER_VERSION` and
 * the memory cap written into the module (module_loader.ts builds it).
 *
 * Invariants:
 * - A file is written to a temporary name (mode 0600) and renamed: a reader
 *   sees a whole file or none.
 * - A file is used only if the sha256 of its body equals its trailer: a
 *   truncated or corrupted file is removed and the module rewritten (the
 *   hash costs ~1/5 of a rewrite; `WebAssembly.validate` would miss a flipped
 *   constant, which changes the fuel a guest is charged).
 * - No error of the cache fails a run: a read-only, full or missing
 *   directory only means no cache.
 * - Bounded: after each write, files are evicted least recently used
 *   first (a hit touches the file's mtime) until the total is at most
 *   `maxBytes` (1 GiB by default). Temporary files older than an hour (a
 *   writer that died) are removed then too.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setMeteredStore, type MeteredStore } from './module_loader.js';

/** Default bound on the cache's total size: 1 GiB. */
export const METERED_CACHE_MAX = 1024 ** 3;

const HASH = 32;
const STALE_TMP_MS = 3600_000;

/** The cache directory under store root `root`. */
export function meteredCacheDir(root: string): string {
  return path.join(root, 'cache', 'metered');
}

async function sha256(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>));
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Metered modules in files of one directory, checked on read, bounded in total size. */
export class DiskMeteredCache implements MeteredStore {
  constructor(readonly dir: string, readonly maxBytes: number = METERED_CACHE_MAX) {}

  private file(key: string): string {
    return path.join(this.dir, `${key}.wasm`);
  }

  /** The module stored under `key` if its file is whole; a damaged file is removed. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.file(key);
    let b: Buffer;
    try {
      b = await fsp.readFile(file);
    } catch {
      return undefined;
    }
    const body = b.subarray(0, Math.max(0, b.length - HASH));
    if (b.length < 8 + HASH || !same(await sha256(body), b.subarray(b.length - HASH))) {
      await fsp.rm(file, { force: true }).catch(() => {});
      return undefined;
    }
    const now = new Date();
    await fsp.utimes(file, now, now).catch(() => {}); // recently used: evicted last
    return body;
  }

  /** Store `bytes` under `key`; any failure (read-only, full disk) is ignored. */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${crypto.randomUUID()}`);
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await fsp.writeFile(tmp, [bytes, await sha256(bytes)], { mode: 0o600, flag: 'wx' });
      await fsp.rename(tmp, this.file(key));
    } catch {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      return;
    }
    await this.evict(key).catch(() => {});
  }

  /** Remove the least recently used files until the total is at most `maxBytes` (never `keep`). */
  private async evict(keep: string): Promise<void> {
    const files: { name: string; size: number; mtime: number }[] = [];
    let total = 0;
    const now = Date.now();
    for (const name of await fsp.readdir(this.dir)) {
      const st = await fsp.stat(path.join(this.dir, name)).catch(() => null);
      if (st === null || !st.isFile()) continue;
      if (name.startsWith('.tmp-')) {
        if (now - st.mtimeMs > STALE_TMP_MS) await fsp.rm(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.wasm')) continue;
      total += st.size;
      if (name !== `${keep}.wasm`) files.push({ name, size: st.size, mtime: st.mtimeMs });
    }
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      await fsp.rm(path.join(this.dir, f.name), { force: true });
      total -= f.size;
    }
  }
}

/** Remove the metered-module cache under store root `root` (`system prune`); resolves to the bytes it held (0 if none or on an error). */
export async function clearMeteredCache(root: string): Promise<number> {
  const dir = meteredCacheDir(root);
  let bytes = 0;
  try {
    for (const name of await fsp.readdir(dir)) bytes += (await fsp.stat(path.join(dir, name)).catch(() => null))?.size ?? 0;
    await fsp.rm(dir, { recursive: true, force: true });
  } catch {
    return 0;
  }
  return bytes;
}

/** Use the on-disk cache under store root `root` for this process's metered modules (CLI and sandbox processes, at start). */
export function useMeteredCache(root: string): void {
  setMeteredStore(new DiskMeteredCache(meteredCacheDir(root)));
}
