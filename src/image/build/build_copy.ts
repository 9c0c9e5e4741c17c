/**
 * The layers of COPY and ADD: host files from the build context (never
 * outside it: `..` and symlinks that leave it are refused), and for ADD a
 * local tar archive (plain or gzip) unpacked at the destination. Each
 * layer is deterministic (sorted entries, root-owned, mtimes fixed) and
 * comes with a digest of its inputs for the build cache.
 */
import { createHash } from 'node:crypto';
import { promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { layerTar, type AddSpec } from '../layout/pack.js';
import { BuildError } from './containerfile.js';
import { writeTar, type TarEntry } from './tar_writer.js';

/** Hash every file under `p` (names, modes, link targets, contents) into `h`. */
async function hashTree(h: ReturnType<typeof createHash>, p: string, rel: string): Promise<void> {
  const st = await fsp.lstat(p);
  h.update(`${rel}\0${st.mode & 0o170777}\0`);
  if (st.isDirectory()) {
    for (const n of (await fsp.readdir(p)).sort()) await hashTree(h, path.join(p, n), `${rel}/${n}`);
  } else if (st.isSymbolicLink()) h.update(await fsp.readlink(p));
  else if (st.isFile()) h.update(await fsp.readFile(p));
  h.update('\0');
}

/** Resolve `src` (relative, may hold * and ?) inside `context`; refuses paths that leave it. */
async function sources(context: string, src: string, where: string): Promise<string[]> {
  const root = realpathSync(context);
  const inside = (p: string): string => {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      throw new BuildError('CONTEXT', `${where}: ${src}: no such file or directory in the build context ${context}`);
    }
    if (real !== root && !real.startsWith(`${root}${path.sep}`)) throw new BuildError('CONTEXT', `${where}: ${src} is outside the build context ${context}`);
    return p;
  };
  if (!/[*?]/.test(src)) return [inside(path.join(context, src))];
  const dir = path.join(context, path.dirname(src));
  const re = new RegExp(`^${path.basename(src).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const hits = (await fsp.readdir(inside(dir)).catch(() => [])).filter((n) => re.test(n)).sort().map((n) => inside(path.join(dir, n)));
  if (hits.length === 0) throw new BuildError('CONTEXT', `${where}: ${src}: no file in the build context matches`);
  return hits;
}

/** A layer and the digest of what went into it. */
export interface CopyLayer {
  tar: Uint8Array;
  inputs: string;
}

function isTar(b: Uint8Array): boolean {
  return b.length >= 262 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar';
}

/** Entries of a tar archive, renamed under `dest` (parents it leaves out added, root-owned). */
export async function archiveEntries(bytes: Uint8Array, dest: string): Promise<TarEntry[]> {
  const ex = tarStream.extract();
  const out: TarEntry[] = [];
  const under = (n: string): string => {
    const parts = [...dest.split('/'), ...n.split('/')].filter((x) => x !== '' && x !== '.');
    if (parts.includes('..')) throw new BuildError('CONTEXT', `ADD: the archive entry ${n} climbs out with ..`);
    return parts.join('/');
  };
  ex.on('entry', (h, stream, next) => {
    const chunks: Uint8Array[] = [];
    stream.on('data', (c: unknown) => { chunks.push(c as Uint8Array); });
    stream.on('end', () => {
      const meta = { mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000) };
      const p = under(h.name);
      if (p !== '') {
        if (h.type === 'directory') out.push({ path: p, type: 'dir', ...meta });
        else if (h.type === 'file' || h.type === 'contiguous-file') out.push({ path: p, type: 'file', ...meta, data: new Uint8Array(Buffer.concat(chunks)) });
        else if (h.type === 'symlink') out.push({ path: p, type: 'symlink', ...meta, linkname: h.linkname ?? '' });
        else if (h.type === 'link') out.push({ path: p, type: 'link', ...meta, linkname: under(h.linkname ?? '') });
      }
      next();
    });
    stream.resume();
  });
  const done = new Promise<void>((res, rej) => { ex.on('finish', () => res()); ex.on('error', rej); });
  ex.end(Buffer.from(bytes));
  await done;
  // parents the archive leaves out, so the layer is complete
  const dirs = new Set(out.filter((e) => e.type === 'dir').map((e) => e.path));
  const parents: TarEntry[] = [];
  for (const e of out) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        parents.push({ path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
      }
    }
  }
  return [...parents.sort((a, b) => a.path.split('/').length - b.path.split('/').length), ...out];
}

/**
 * The layer of `COPY|ADD src… dest` (`dest` absolute, after WORKDIR): a
 * directory source copies its content, several sources or a dest ending in
 * `/` make dest a directory; ADD unpacks a tar source (plain or gzip).
 */
export async function copyLayer(context: string, srcs: readonly string[], dest: string, add: boolean, mtime: number, where: string): Promise<CopyLayer> {
  const files = (await Promise.all(srcs.map((s) => sources(context, s, where)))).flat();
  const intoDir = dest.endsWith('/') || files.length > 1;
  const h = createHash('sha256');
  h.update(`${add ? 'ADD' : 'COPY'}\0${dest}\0`);
  const adds: AddSpec[] = [];
  const unpacked: TarEntry[] = [];
  for (const f of files) {
    await hashTree(h, f, path.relative(context, f));
    const st = await fsp.stat(f);
    if (add && st.isFile()) {
      let bytes: Uint8Array = await fsp.readFile(f);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
          bytes = new Uint8Array(gunzipSync(bytes));
        } catch {
          /* not a gzip after all: copied as a file */
        }
      }
      if (isTar(bytes)) {
        unpacked.push(...(await archiveEntries(bytes, dest)));
        continue;
      }
    }
    adds.push({ src: f, dest: intoDir && !st.isDirectory() ? `${dest.replace(/\/?$/, '/')}` : dest });
  }
  if (unpacked.length > 0 && adds.length > 0) throw new BuildError('UNSUPPORTED', `${where}: mix archives and plain files in separate ADD instructions`);
  const tar = unpacked.length > 0 ? writeTar(unpacked) : await layerTar(adds, mtime);
  return { tar, inputs: h.digest('hex') };
}
