/**
 * Invariant checks for fuzz tests: walk a filesystem and report every
 * violated invariant as a string (empty = all hold). Costs a full walk;
 * never called by the kernel itself.
 */
import { FileType } from '../vfs/types.js';
import type { OverlayFs } from './overlay.js';
import type { OvlNode } from './overlay_node.js';
import { TmpDir, TmpFile, type TmpFs, TmpNode } from './tmpfs.js';

/** tmpfs: nlink of directories and files, parent pointers, byte accounting. */
export function tmpfsViolations(fs: TmpFs): string[] {
  const out: string[] = [];
  const names = new Map<TmpNode, number>();
  let allocated = 0;
  const walk = (d: TmpDir, path: string): void => {
    let subdirs = 0;
    for (const [name, c] of d.entries.entries()) {
      if (!(c instanceof TmpNode)) continue;
      const p = `${path}/${name}`;
      if (c instanceof TmpDir) {
        subdirs++;
        if (c.parent !== d) out.push(`${p}: parent pointer is wrong`);
        walk(c, p);
      } else {
        names.set(c, (names.get(c) ?? 0) + 1);
      }
    }
    if (d.nlink !== 2 + subdirs) out.push(`${path || '/'}: nlink ${d.nlink}, expected ${2 + subdirs}`);
  };
  walk(fs.root, '');
  for (const [node, n] of names) {
    if (node.nlink !== n) out.push(`inode ${node.ino}: nlink ${node.nlink}, but ${n} names`);
    if (node instanceof TmpFile) {
      allocated += node.data.allocatedBytes;
      if (node.data.size < 0) out.push(`inode ${node.ino}: negative size`);
    }
  }
  if (fs.bytesUsed < allocated) out.push(`bytesUsed ${fs.bytesUsed} < allocated by reachable files ${allocated}`);
  if (fs.bytesUsed > fs.account.limit) out.push(`bytesUsed ${fs.bytesUsed} over the limit ${fs.account.limit}`);
  return out;
}

/** overlay: every materialized node's upper sits at its parent's upper under its name; plus the upper's own. */
export function overlayViolations(fs: OverlayFs): string[] {
  const out = tmpfsViolations(fs.upper);
  const walk = (n: OvlNode, path: string): void => {
    if (n.parent !== null && n.upper !== null) {
      const pu = n.parent.upper;
      if (!(pu instanceof TmpDir) || pu.entries.get(n.name) !== n.upper) out.push(`${path}: upper not linked under its parent`);
    }
    if (n.type === FileType.DIRECTORY && !n.removed) {
      for (const [name, c] of n.children().entries()) {
        if (c.parent !== n || c.name !== name) out.push(`${path}/${name}: parent/name out of date`);
        walk(c, `${path}/${name}`);
      }
    }
  };
  walk(fs.root, '');
  return out;
}
