/**
 * The files of an exited detached container, for `cp` and `export` after it
 * stopped (as podman's work on a stopped container): its kept writable
 * layer (runtime/detached/kept_upper.ts) over its image's layers, merged as
 * the overlay merged them, written as the tar `cptar c` would have written
 * inside it (entry names start with PATH's last component, "." for /).
 * Bind mounts and volumes are not part of it (they are not the container's
 * files), nor are /proc, /sys and /dev. `cp` into an exited container
 * ({@link stoppedPut}) adds to that kept layer, which its next start takes
 * as its upper.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { archiveEntries } from '../../image/build/build_copy.js';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { writeTar, type TarEntry } from '../../image/build/tar_writer.js';
import { readLayerFile } from '../../image/snapshot/merged_lookup.js';
import { mergeLayers, type MergedNode } from '../../image/snapshot/snapshot_view.js';
import { unpackLayer } from '../../image/snapshot/unpack.js';
import { imageLayers } from '../../runtime/detached/image_root.js';
import { DIFF_FILE, UPPER_FILE, keptDiff, keptUpper } from '../../runtime/detached/kept_upper.js';
import type { RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { RECREATE_FILE, type Recreate } from './recreate.js';

/** Top-level paths a tar of `/` leaves out (as cptar does). */
const SKIPPED = new Set(['proc', 'sys', 'dev']);

/** The merged root of stopped container `st` (in `root`); 125 with one line when its layer was not kept. */
async function mergedRoot(root: string, st: RuncState, ref: string): Promise<MergedNode & { kind: 'dir' }> {
  const dir = join(root, st.id);
  const upper = keptUpper(dir);
  if (upper === undefined) throw new CliExit(ExitCode.RUNTIME, `container ${ref} exited and its writable layer was not kept (made by an older wasmvisor, or it ended before its sandbox could write it): start it again to reach its files`);
  let r: Recreate | undefined;
  let hostRoot = false;
  try {
    r = JSON.parse(readFileSync(join(dir, RECREATE_FILE), 'utf8')) as Recreate;
    hostRoot = typeof (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { root?: { path?: string } }).root?.path === 'string' && !r.image;
  } catch {
    r = undefined;
  }
  if (hostRoot) throw new CliExit(ExitCode.RUNTIME, `container ${ref} exited; its root is a host directory (--rootfs): read that directory on the host`);
  const { tree } = await unpackLayer((async function* () { yield upper; })());
  const lowers: LayerTree[] = [tree, ...(r?.image ? await imageLayers(r.image) : [])];
  return mergeLayers(lowers);
}

/** Tar entries of `n`, named `name`, and everything under it. */
function entries(n: MergedNode, name: string, top: boolean, out: TarEntry[]): void {
  const meta = { mode: n.node.mode & 0o7777, uid: n.node.uid, gid: n.node.gid, mtime: Number(n.node.mtimeNs / 1_000_000_000n) };
  if (n.kind === 'dir') {
    out.push({ path: name, type: 'dir', ...meta });
    for (const child of [...n.entries.keys()].sort()) {
      if (top && name === '.' && SKIPPED.has(child)) continue;
      entries(n.entries.get(child)!, `${name}/${child}`, false, out);
    }
  } else if (n.node.kind === 'symlink') out.push({ path: name, type: 'symlink', ...meta, linkname: n.node.target });
  else if (n.node.kind === 'file') out.push({ path: name, type: 'file', ...meta, data: readLayerFile(n.node) });
}

/**
 * A tar of `path` in stopped container `st`, as `cptar c PATH` writes it;
 * undefined when the path does not exist in it.
 */
export async function stoppedTar(root: string, st: RuncState, ref: string, path: string): Promise<Uint8Array | undefined> {
  let n: MergedNode = await mergedRoot(root, st, ref);
  const comps = path.split('/').filter((c) => c !== '' && c !== '.');
  for (const c of comps) {
    if (c === '..' || n.kind !== 'dir') return undefined;
    const next = n.entries.get(c);
    if (!next) return undefined;
    n = next;
  }
  const out: TarEntry[] = [];
  entries(n, comps.length ? comps[comps.length - 1]! : '.', true, out);
  return writeTar(out);
}

/** Walk `root` down absolute `path` (no symlinks followed); undefined if absent. */
function walkTo(root: MergedNode, path: string): MergedNode | undefined {
  let n: MergedNode | undefined = root;
  for (const c of path.split('/').filter((x) => x !== '' && x !== '.')) {
    if (c === '..' || n?.kind !== 'dir') return undefined;
    n = n.entries.get(c);
  }
  return n;
}

/**
 * `cp HOSTPATH CONTAINER:DEST` into stopped container `st`, as into a
 * running one: into DEST (as `srcName`) when it is a directory there, else
 * as DEST (its parent must be a directory). `entries(name)` gives the host
 * files' tar entries with their top named `name`. They are added to the kept layer
 * (replacing the same paths, and whiteouts of them) with the A/C of its
 * diff, so the next start sees them. Resolves to the directory that is
 * missing in the container (DEST's parent, or DEST given with a trailing /),
 * else undefined.
 */
export async function stoppedPut(root: string, st: RuncState, ref: string, dest: string, srcName: string, entries: (name: string) => TarEntry[]): Promise<string | undefined> {
  const merged = await mergedRoot(root, st, ref);
  const dir = join(root, st.id);
  const d = posix.resolve('/', dest);
  const at = walkTo(merged, d);
  if (dest.endsWith('/') && at?.kind !== 'dir') return d;
  const parent = at?.kind === 'dir' ? d : posix.dirname(d);
  if (walkTo(merged, parent)?.kind !== 'dir') return parent;
  const rel = (p: string) => p.replace(/^\/+/, '');
  const added = entries(at?.kind === 'dir' ? srcName : posix.basename(d)).map((e) => ({ ...e, path: rel(posix.join(parent, e.path)) })).filter((e) => e.path !== '');
  const upper = await archiveEntries(keptUpper(dir)!, '');
  const fresh = new Set(added.map((e) => e.path));
  const kept = upper.filter((e) => !fresh.has(e.path) && !fresh.has(e.path.replace(/(^|\/)\.wh\.([^/]*)$/, '$1$2')));
  // the parents on the way keep the container's modes and owners
  const have = new Set(kept.map((e) => e.path));
  const parents: TarEntry[] = [];
  const comps = rel(parent).split('/').filter((x) => x !== '');
  for (let i = 1; i <= comps.length; i++) {
    const p = comps.slice(0, i).join('/');
    const n = walkTo(merged, p)!;
    if (!have.has(p)) parents.push({ path: p, type: 'dir', mode: n.node.mode & 0o7777, uid: n.node.uid, gid: n.node.gid, mtime: Number(n.node.mtimeNs / 1_000_000_000n) });
  }
  const all = [...parents, ...kept, ...added];
  const diff = new Map((keptDiff(dir) ?? []).map((x) => [x.path, x.kind]));
  for (const e of added) {
    const p = `/${e.path}`;
    if (diff.get(p) !== 'A') diff.set(p, walkTo(merged, p) === undefined ? 'A' : 'C');
  }
  for (const [name, bytes] of [[UPPER_FILE, writeTar(all)], [DIFF_FILE, Buffer.from(JSON.stringify([...diff].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([path, kind]) => ({ kind, path }))))]] as const) {
    writeFileSync(join(dir, `${name}.tmp`), bytes, { mode: 0o600 });
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  }
  return undefined;
}
