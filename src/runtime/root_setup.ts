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
import { OverlayFs } from '../../kernel/fs/overlay.js';
import { TmpDir, TmpFile, TmpFs } from '../../kernel/fs/tmpfs.js';
import { installPreopen } from '../../kernel/task/stdio.js';
import type { Task } from '../../kernel/task/task.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import type { FileSystem } from '../../kernel/vfs/superblock.js';
import { DEFAULT_FILE_MODE } from '../../kernel/vfs/vfs_path_ops.js';
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

/** A file `prepareRoot` writes in the root (O_CREAT|O_TRUNC, mode 0644, owned by root). */
export interface SeedFile {
  path: string;
  data: Uint8Array;
}

/** What `prepareRoot` makes in the root before the container's namespace exists. */
export interface RootSpec {
  /** Directories to create (mount points), with the mode of the last component (default 0755). */
  dirs: readonly (string | { path: string; mode: number })[];
  /** Files to write after `dirs`, in order (/etc/hostname, seeded files); their parent directories are made as by `mkdirs`. */
  files?: readonly SeedFile[];
  /** Mount points of single-file binds, made after `files`: an empty file if absent (parents as by `mkdirs`), anything there left as is. */
  mountFiles?: readonly string[];
  /** Make the container's root mount read-only (EROFS). */
  readonly: boolean;
}

/**
 * Step 1: make `spec.dirs` and `spec.files` in `rootFs`, then return the
 * container's namespace on it. An empty tmpfs root (a container without
 * --rootfs or image), or an overlay with no lower layers and an untouched
 * upper, gets them written straight into the tmpfs, without a path walk
 * (an overlay merges a directory's children on first lookup, so it then
 * sees them as if made through it): same modes, owners, charges and
 * errors as the walk.
 */
export function prepareRoot(rootFs: FileSystem, spec: RootSpec): MountNamespace {
  const files = spec.files ?? [];
  const mountFiles = spec.mountFiles ?? [];
  const empty = rootFs instanceof TmpFs ? rootFs.root : rootFs instanceof OverlayFs && rootFs.lowers.length === 0 ? rootFs.upper.root : null;
  // file mount points take the walk (rare: a fast path of their own is not worth its conflict checks)
  if (!(empty !== null && empty.entries.size === 0 && mountFiles.length === 0 && seedEmptyUpper(empty, spec.dirs, files))) {
    const view = new MountNamespace(rootFs);
    for (const d of spec.dirs) {
      if (typeof d === 'string') mkdirs(view, d);
      else mkdirs(view, d.path, d.mode);
    }
    for (const f of files) writeFile(view, f.path, f.data);
    for (const p of mountFiles) touch(view, p);
  }
  return new MountNamespace(rootFs, { readonly: spec.readonly });
}

/** Write `data` to `path` through `ns` as root (O_CREAT|O_TRUNC), its parent made first. */
function writeFile(ns: MountNamespace, path: string, data: Uint8Array): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir) mkdirs(ns, dir);
  const f = ns.pathOps.open(SETUP, ns.rootHandle(), path, {
    oflags: OFlags.CREAT | OFlags.TRUNC, fdflags: 0, followSymlinks: true, mode: { read: false, write: true },
  });
  try {
    f.write(data);
  } finally {
    f.release();
  }
}

/** Create `path` through `ns` as an empty root-owned file (O_CREAT|O_EXCL), its parent made first; anything already there (a file, a directory: the mount checks which) is left as is. */
function touch(ns: MountNamespace, path: string): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir) mkdirs(ns, dir);
  let f: OpenFile;
  try {
    f = ns.pathOps.open(SETUP, ns.rootHandle(), path, {
      oflags: OFlags.CREAT | OFlags.EXCL, fdflags: 0, followSymlinks: true, mode: { read: false, write: true },
    });
  } catch (e) {
    if (e === E.EXIST) return;
    throw new RootSetupError(path, path, e);
  }
  f.release();
}

/** An absolute path of plain names: no "." or ".." component, no empty one ("//", a trailing "/"). */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/**
 * `prepareRoot`'s dirs and files made directly in the empty upper `root`
 * (no lowers: nothing to merge, no symlink to follow). False, with nothing
 * done, when the walk's own handling is needed: a path that is not plain,
 * or a file where a directory is wanted (a file path that is a directory
 * or the parent of another path).
 */
function seedEmptyUpper(root: TmpDir, dirs: RootSpec['dirs'], files: readonly SeedFile[]): boolean {
  for (const d of dirs) if (!PLAIN_PATH.test(typeof d === 'string' ? d : d.path)) return false;
  for (const f of files) {
    if (!PLAIN_PATH.test(f.path)) return false;
    const under = `${f.path}/`;
    for (const d of dirs) {
      const p = typeof d === 'string' ? d : d.path;
      if (p === f.path || p.startsWith(under)) return false;
    }
    for (const g of files) if (g.path.startsWith(under)) return false;
  }
  for (const d of dirs) {
    if (typeof d === 'string') mkdirsIn(root, d, d.length, 0o755);
    else mkdirsIn(root, d.path, d.path.length, d.mode);
  }
  for (const f of files) {
    // as writeFile: the parent made as by mkdirs, then O_CREAT|O_TRUNC on the name
    const slash = f.path.lastIndexOf('/');
    const parent = mkdirsIn(root, f.path, slash, 0o755);
    const name = f.path.slice(slash + 1);
    const node = parent.lookup(name) ?? parent.create(name, DEFAULT_FILE_MODE, SETUP);
    if (!(node instanceof TmpFile)) throw E.IO; // only files are ever made at file paths (checked above)
    if (node.size() > 0) node.truncate(0);
    node.writeAt(0, f.data);
    node.data.trim(); // as on the file's last close
  }
  return true;
}

/**
 * `mkdirs` of the plain path `path.slice(0, end)` in a tmpfs tree holding
 * only directories along it: `mode` for its last component, 0755 above;
 * the same RootSetupError. Returns the last directory.
 */
function mkdirsIn(root: TmpDir, path: string, end: number, mode: number): TmpDir {
  let dir = root;
  let start = 1;
  while (start < end) {
    let stop = path.indexOf('/', start);
    if (stop < 0 || stop > end) stop = end;
    const name = path.slice(start, stop);
    const have = dir.lookup(name);
    if (have !== undefined) {
      dir = have as TmpDir;
    } else {
      try {
        dir = dir.mkdir(name, stop === end ? mode : 0o755, SETUP) as TmpDir;
      } catch (e) {
        throw new RootSetupError(path.slice(0, stop), path.slice(0, end), e);
      }
    }
    start = stop + 1;
  }
  return dir;
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
