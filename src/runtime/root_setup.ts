/**
 * A container's root as both platforms set it up (the inline `runWasm` and
 * the Sentry's `KernelContainer`), in the order OCI runtimes use:
 *
 *  1. `prepareRoot`: the mount points (and anything else the container
 *     needs in its root, such as /etc/hostname) are made in the root
 *     filesystem through a writable view of it; then the container's
 *     namespace is made, its root mount read-only if asked.
 *  2. The caller mounts /dev, /proc, tmpfs and binds on that namespace.
 *  3. `makeWorkdir`: the working directory is made, as runc makes
 *     `process.cwd` after the mounts but before it remounts the root
 *     read-only: its part outside the mounts in the root filesystem itself
 *     (so a read-only root does not stop it), the rest in the mount it is
 *     in (`-w /tmp/x` with /tmp a tmpfs: x is made in that tmpfs).
 *
 * Isomorphic (no node:*): the Sentry worker runs it.
 */
import { E } from '../../kernel/errno.js';
import { installPreopen } from '../../kernel/task/stdio.js';
import type { Task } from '../../kernel/task/task.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import type { FileSystem } from '../../kernel/vfs/superblock.js';
import { FileType, OFlags, type Credentials, type OpenFile } from '../../kernel/vfs/types.js';

const ROOT: Credentials = { uid: 0, gid: 0 };
/** The runtime making mount points and seeded files: root over every inode, unmapped host files too (as runc, host root, does). */
export const SETUP: Credentials = { uid: 0, gid: 0, hostRoot: true };

/** A directory `mkdirs` could not create (a file in the way, a read-only mount); each platform turns it into its own error. */
export class RootSetupError extends Error {
  readonly code = 'MKDIR';
  constructor(readonly dir: string, readonly path: string, cause: unknown) {
    super(`cannot create ${dir} in the container for ${path}: ${(cause as Error).message}`, { cause });
    this.name = 'RootSetupError';
  }
}

/** Run a root setup step, turning a RootSetupError into the platform's own error (`as`); anything else passes. */
export function rootSetupStep<T>(step: () => T, as: (message: string) => Error): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof RootSetupError) throw as(e.message);
    throw e;
  }
}

/** `mkdir -p` as root; `mode` applies to the last component, EEXIST is fine, anything else is a RootSetupError. */
export function mkdirs(ns: MountNamespace, path: string, mode = 0o755): void {
  let cur = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    cur += `/${part}`;
    try {
      ns.pathOps.mkdir(SETUP, ns.rootHandle(), cur, cur === path || `${cur}/` === path ? mode : 0o755);
    } catch (e) {
      if (e !== E.EXIST) throw new RootSetupError(cur, path, e);
    }
  }
}

/** What `prepareRoot` makes in the root before the container's namespace exists. */
export interface RootSpec {
  /** Directories to create (mount points), with the mode of the last component (default 0755). */
  dirs: readonly (string | { path: string; mode: number })[];
  /** Anything else to write through the writable view, after `dirs` (seeded files). */
  seed?: (view: MountNamespace) => void;
  /** Make the container's root mount read-only (EROFS). */
  readonly: boolean;
}

/** Step 1: make `spec.dirs` (and `spec.seed`) in `rootFs`, then return the container's namespace on it. */
export function prepareRoot(rootFs: FileSystem, spec: RootSpec): MountNamespace {
  const view = new MountNamespace(rootFs);
  for (const d of spec.dirs) {
    if (typeof d === 'string') mkdirs(view, d);
    else mkdirs(view, d.path, d.mode);
  }
  spec.seed?.(view);
  return new MountNamespace(rootFs, { readonly: spec.readonly });
}

/**
 * Step 3: make the working directory. The part of it outside every mount
 * is made in `rootFs` itself (read-only root or not); the rest through `ns`,
 * in the mount it is in (a read-only mount there fails).
 */
export function makeWorkdir(rootFs: FileSystem, ns: MountNamespace, workdir: string): void {
  if (workdir === '/') return;
  const points = new Set(ns.mounts().map((m) => m.target));
  let outside = '';
  for (const part of workdir.split('/').filter((p) => p !== '')) {
    if (points.has(`${outside}/${part}`)) break;
    outside += `/${part}`;
  }
  if (outside !== '') mkdirs(new MountNamespace(rootFs), outside);
  mkdirs(ns, workdir);
}

/**
 * Open a directory for a preopen. The root "/" is opened from a capability
 * handle (WASI path resolution: absolute paths, `..` above any directory fd
 * opened through it and symlinks escaping that fd fail with EPERM), as
 * WASI hosts do; `..` and absolute symlinks at the root itself stay legal.
 */
export function openPreopenDir(ns: MountNamespace, path: string): OpenFile {
  if (path === '/') path = '.';
  const beneath = path === '.';
  return ns.pathOps.open(ROOT, ns.rootHandle({ beneath }), path, {
    oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false },
  });
}

/**
 * A task's preopens, the same on both platforms: "/" on fd 3, then each of
 * `named` (bind mount targets) under its path. For a working directory
 * other than "/", stock wasi-libc has no chdir to learn it: every top-level
 * directory is also preopened under its own name, and the working
 * directory last as ".", so relative paths resolve against it.
 */
export function installPreopens(task: Task, ns: MountNamespace, workdir: string, named: readonly string[] = []): void {
  installPreopen(task, openPreopenDir(ns, '/'), '/');
  const done = new Set<string>(['/']);
  for (const p of named) {
    if (done.has(p)) continue;
    done.add(p);
    installPreopen(task, openPreopenDir(ns, p), p);
  }
  if (workdir === '/') return;
  const root = openPreopenDir(ns, '/');
  try {
    for (let cookie = 0n; ;) {
      const batch = root.readdir(cookie, 64);
      if (batch.length === 0) break;
      for (const e of batch) {
        cookie = e.next;
        if (e.name === '.' || e.name === '..' || e.filetype !== FileType.DIRECTORY) continue;
        const p = `/${e.name}`;
        if (done.has(p)) continue;
        done.add(p);
        let dir: OpenFile;
        try {
          dir = openPreopenDir(ns, p);
        } catch (err) {
          // a directory container root may not open (an unmapped host owner's 0700 under a user namespace) is not preopened
          if (err === E.ACCES) continue;
          throw err;
        }
        installPreopen(task, dir, p);
      }
    }
  } finally {
    root.release();
  }
  installPreopen(task, openPreopenDir(ns, workdir), '.');
}
