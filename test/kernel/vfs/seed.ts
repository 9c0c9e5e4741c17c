/** Builds the shared suite's seed tree through PathOps (for filesystems with no lower layers). */
import type { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { SEED_FILES } from './vfs_suite.js';
import { Fx } from './helpers.js';

/** Seed files' mtime/atime (ns). */
export const SEED_TIME = 1_600_000_000_000_000_007n;

/** Create the seed tree in `ns` as root. */
export function buildSeed(ns: MountNamespace): void {
  const fx = new Fx(ns);
  fx.mkdir('/seed');
  fx.mkdir('/seed/dir');
  fx.mkdir('/seed/dir/sub');
  fx.mkdir('/seed/empty');
  for (const [p, data] of Object.entries(SEED_FILES)) fx.write(`/seed/${p}`, data);
  fx.write('/seed/hard1', 'shared');
  fx.link('/seed/hard1', '/seed/hard2');
  fx.symlink('a.txt', '/seed/link');
  for (const p of Object.keys(SEED_FILES)) fx.ops.setTimes(fx.cred, fx.root, `/seed/${p}`, false, SEED_TIME, SEED_TIME);
  const f = fx.open('/seed/secret');
  f.release();
  // chmod 0600: no PathOps call for it; reach the inode.
  const ino = (fx.open('/seed/secret') as unknown as { loc: { inode: { mode: number } } }).loc.inode;
  ino.mode = 0o600;
}
