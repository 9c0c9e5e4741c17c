/**
 * The shared VFS suite: every writable filesystem that can be a container's
 * root (tmpfs, overlay) runs it. The factory returns a namespace whose root
 * is the filesystem under test, already holding the seed tree below (an
 * overlay keeps it in its lower layers, so the same tests exercise copy-up):
 *
 *   /seed/a.txt "alpha"            /seed/dir/b.txt "beta"
 *   /seed/dir/sub/c.txt "gamma"    /seed/link -> a.txt
 *   /seed/hard1, /seed/hard2: one file "shared" (2 links)
 *   /seed/empty/                   /seed/secret 0600 "secret"
 */
import { describe } from 'vitest';
import type { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import type { FakeHost } from '../../support/fake_host.js';
import { Fx } from './helpers.js';
import { vfsSuiteFiles } from './vfs_suite_files.js';
import { vfsSuiteMeta } from './vfs_suite_meta.js';
import { vfsSuiteNames } from './vfs_suite_names.js';

/** What a suite run gets from the filesystem under test. */
export interface VfsFixture {
  ns: MountNamespace;
  host: FakeHost;
}

/** The seed tree's files and contents, for factories that build it. */
export const SEED_FILES: Record<string, string> = {
  'a.txt': 'alpha',
  'dir/b.txt': 'beta',
  'dir/sub/c.txt': 'gamma',
  secret: 'secret',
};

/** What each test gets: a fresh fixture plus helpers bound to it. */
export type SuiteSetup = () => VfsFixture & { fx: Fx };

/** Run the shared suite against filesystems made by `make`. */
export function vfsSuite(name: string, make: () => VfsFixture): void {
  const setup: SuiteSetup = () => {
    const f = make();
    return { ...f, fx: new Fx(f.ns) };
  };
  describe(`${name}: VFS suite`, () => {
    vfsSuiteFiles(setup);
    vfsSuiteNames(setup);
    vfsSuiteMeta(setup);
  });
}
