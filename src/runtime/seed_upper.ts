/**
 * A restarted container's writable layer: the layer an exited container
 * kept (runtime/detached/kept_upper.ts, plus what `cp` put into it after it
 * exited) is copied into its new upper when the container is built, before
 * the overlay over it exists (its directories merge their children once);
 * the paths it made are left out of the upper's baseline, so that they
 * count as the container's own changes (diff, commit and the next kept
 * layer show them). They are charged to its memory like any file it writes. Whiteouts and opaque directories
 * are kept; hard links stay links; modes, owners and mtimes are the layer's.
 * The layer is given as a {@link LayerTree} marked `seed: true` among the
 * root's layers (the sandbox process puts it there).
 */
import type { LayerDir, LayerNode, LayerTree } from '../../kernel/fs/layer_tree.js';
import { TmpDir, TmpFile, TmpSymlink, type TmpFs, type TmpNode } from '../../kernel/fs/tmpfs.js';
import type { Credentials } from '../../kernel/vfs/types.js';

/** A tree to copy into the upper instead of stacking it as a lower. */
export function isSeed(t: LayerTree): boolean {
  return (t as { seed?: boolean }).seed === true;
}

/** Copy `tree` into `upper` (see the module comment); an entry already there is replaced. Returns the paths made (`/a/b`). */
export function seedUpper(upper: TmpFs, tree: LayerTree): Set<string> {
  const paths = new Set<string>();
  const cred: Credentials = { uid: 0, gid: 0, hostRoot: true };
  const links = new Map<LayerNode, TmpNode>();
  const meta = (n: TmpNode, m: { mode: number; uid: number; gid: number; mtimeNs: bigint }) => {
    n.mode = m.mode & 0o7777;
    n.uid = m.uid;
    n.gid = m.gid;
    n.mtim = m.mtimeNs;
  };
  const clear = (dir: TmpDir, name: string, keepDir: boolean): void => {
    const old = dir.entries.get(name);
    if (old === undefined || (keepDir && old instanceof TmpDir)) return;
    if (old instanceof TmpDir) {
      for (const e of old.entries.after(0, Number.MAX_SAFE_INTEGER)) clear(old, e.name, false);
      dir.rmdir(name);
    } else dir.unlink(name);
  };
  const walk = (src: LayerDir, dir: TmpDir, at: string): void => {
    for (const [name, n] of src.entries) {
      paths.add(`${at}/${name}`);
      if (n.kind === 'whiteout') {
        clear(dir, name, false);
        dir.mkWhiteout(name);
        continue;
      }
      clear(dir, name, n.kind === 'dir');
      if (n.kind === 'dir') {
        const existing = dir.entries.get(name);
        const d = existing instanceof TmpDir ? existing : (dir.mkdir(name, n.mode, cred) as TmpDir);
        walk(n, d, `${at}/${name}`);
        d.opaque = n.opaque === true;
        meta(d, n);
        continue;
      }
      const first = links.get(n);
      if (first !== undefined) {
        dir.link(name, first);
        continue;
      }
      let made: TmpNode;
      if (n.kind === 'symlink') made = dir.symlink(name, n.target, cred) as TmpSymlink;
      else {
        const f = dir.create(name, n.mode, cred) as TmpFile;
        f.data.write(0, typeof n.data === 'function' ? n.data(0, n.size) : n.data.subarray(0, n.size));
        made = f;
      }
      meta(made, n);
      links.set(n, made);
    }
    dir.changed();
  };
  walk(tree.root, upper.root, '');
  return paths;
}
