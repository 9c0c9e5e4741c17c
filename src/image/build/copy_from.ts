/**
 * `COPY --from=STAGE|IMAGE`: files of an earlier stage's (or an image's)
 * merged layers as a new layer, as buildah copies them: a directory source
 * copies its content, a file goes to DEST (or into it when DEST ends in `/`
 * or there are several sources), a `*`/`?` glob in a source's last
 * component matches names in its directory, symlinks on the way to a
 * source are followed inside that filesystem. Modes and owners are kept
 * (buildah keeps them; `--chown` and `--chmod` override them), mtimes are
 * the build's timestamp, hard links stay hard links. The inputs digest
 * covers every copied byte, so the build cache follows the content.
 *
 * Also {@link ownEntries}: `--chown`/`--chmod` applied to a layer's entries.
 */
import { createHash } from 'node:crypto';
import type { LayerNode, LayerTree } from '../../../kernel/fs/layer_tree.js';
import { lookupMerged, readLayerFile } from '../snapshot/merged_lookup.js';
import { mergeLayers, type MergedNode } from '../snapshot/snapshot_view.js';
import { BuildError } from './containerfile.js';
import type { CopyLayer } from './build_copy.js';
import { writeTar, type TarEntry } from './tar_writer.js';

/** Walk the merged view to absolute `path` (no symlinks followed: give a resolved path). */
function walk(root: MergedNode & { kind: 'dir' }, path: string): MergedNode | undefined {
  let n: MergedNode = root;
  for (const c of path.split('/').filter((x) => x !== '' && x !== '.')) {
    if (n.kind !== 'dir') return undefined;
    const next: MergedNode | undefined = n.entries.get(c);
    if (next === undefined) return undefined;
    n = next;
  }
  return n;
}

/** The sources `src` names in `lowers` (a glob in the last component matches names), each with its resolved path. */
function matches(lowers: readonly LayerTree[], root: MergedNode & { kind: 'dir' }, src: string, what: string, where: string): { path: string; node: MergedNode }[] {
  const abs = `/${src.split('/').filter((x) => x !== '' && x !== '.').join('/')}`;
  if (abs.split('/').includes('..')) throw new BuildError('CONTEXT', `${where}: ${src}: a source of COPY --from may not contain ..`);
  const resolve = (p: string): { path: string; node: MergedNode } | undefined => {
    const hit = lookupMerged(lowers, p);
    const node = hit && walk(root, hit.path);
    return hit && node ? { path: hit.path, node } : abs === '/' ? { path: '/', node: root } : undefined;
  };
  const last = abs.slice(abs.lastIndexOf('/') + 1);
  if (!/[*?[]/.test(last)) {
    const r = resolve(abs);
    if (r === undefined) throw new BuildError('CONTEXT', `${where}: ${src}: no such file or directory in ${what}`);
    return [r];
  }
  const dir = abs.slice(0, abs.lastIndexOf('/')) || '/';
  const parent = resolve(dir);
  const re = new RegExp(`^${last.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const names = parent?.node.kind === 'dir' ? [...parent.node.entries.keys()].filter((n) => re.test(n)).sort() : [];
  if (names.length === 0) throw new BuildError('CONTEXT', `${where}: ${src}: no file in ${what} matches`);
  return names.map((n) => resolve(`${dir === '/' ? '' : dir}/${n}`)!).filter((x) => x !== undefined);
}

/**
 * The layer of `COPY --from=… srcs… dest` out of `lowers` (top first), named
 * `what` in messages (`stage build`, `image x`); `dest` is absolute.
 */
export function copyFromLayers(lowers: readonly LayerTree[], srcs: readonly string[], dest: string, mtime: number, what: string, where: string): { entries: TarEntry[]; inputs: string } {
  const root = mergeLayers(lowers);
  const hits = srcs.flatMap((s) => matches(lowers, root, s, what, where));
  const intoDir = dest.endsWith('/') || hits.length > 1;
  const base = dest.split('/').filter((x) => x !== '');
  const out = new Map<string, TarEntry>();
  const firstName = new Map<LayerNode, string>();
  for (let i = 1; i < base.length; i++) {
    const p = base.slice(0, i).join('/');
    out.set(p, { path: p, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime });
  }
  const add = (n: MergedNode, p: string): void => {
    if (p === '') {
      // the root itself: only its content
      if (n.kind === 'dir') for (const c of [...n.entries.keys()].sort()) add(n.entries.get(c)!, c);
      return;
    }
    const meta = { mode: n.node.mode & 0o7777, uid: n.node.uid, gid: n.node.gid, mtime };
    if (n.kind === 'dir') {
      out.set(p, { path: p, type: 'dir', ...meta });
      for (const c of [...n.entries.keys()].sort()) add(n.entries.get(c)!, `${p}/${c}`);
      return;
    }
    out.delete(p);
    const node = n.node;
    if (node.kind === 'symlink') {
      out.set(p, { path: p, type: 'symlink', ...meta, linkname: node.target });
      return;
    }
    const first = firstName.get(node);
    if (first !== undefined) out.set(p, { path: p, type: 'link', ...meta, linkname: first });
    else {
      firstName.set(node, p);
      out.set(p, { path: p, type: 'file', ...meta, data: readLayerFile(node) });
    }
  };
  for (const h of hits) {
    const name = h.path.slice(h.path.lastIndexOf('/') + 1);
    const target = h.node.kind === 'dir' || !intoDir ? base : [...base, name];
    if (h.node.kind !== 'dir' && target.length === 0) throw new BuildError('SYNTAX', `${where}: a file cannot become / : give a file name or a directory ending in /`);
    if (intoDir && h.node.kind !== 'dir' && base.length > 0) {
      const d = base.join('/');
      if (!out.has(d)) out.set(d, { path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime });
    }
    add(h.node, target.join('/'));
  }
  const entries = [...out.values()];
  const hash = createHash('sha256');
  hash.update(`COPY --from\0${dest}\0`);
  for (const e of entries) {
    hash.update(`${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.linkname ?? ''}\0`);
    if (e.data) hash.update(e.data);
    hash.update('\0');
  }
  return { entries, inputs: hash.digest('hex') };
}

/**
 * `--chown`/`--chmod` on a layer's entries: every entry gets the owner
 * and/or the mode, except the directories above `dest` that the copy only
 * made on the way (they stay root's, 0755) and symlinks' modes.
 */
export function ownEntries(entries: readonly TarEntry[], dest: string, owner: { uid: number; gid: number } | undefined, mode: number | undefined): TarEntry[] {
  const parts = dest.split('/').filter((x) => x !== '');
  const above = new Set(parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/')));
  return entries.map((e) => {
    if (above.has(e.path) || e.path.split('/').pop()!.startsWith('.wh.')) return e;
    const x = { ...e };
    if (owner) {
      x.uid = owner.uid;
      x.gid = owner.gid;
    }
    if (mode !== undefined && e.type !== 'symlink') x.mode = mode;
    return x;
  });
}

/** A {@link CopyLayer} of entries (written as a tar). */
export function entriesLayer(entries: readonly TarEntry[], inputs: string): CopyLayer {
  return { tar: writeTar(entries), inputs };
}
