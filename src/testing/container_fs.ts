/**
 * `fs` of a `runProgram` result: the container's files after the run. What
 * the program changed is `diff()` (its private upper layer against the
 * lowers, as `wasmvisor diff` lists it); any file can be read by its
 * container path. Reads go through the container's own mount tree as root,
 * so binds and tmpfs mounts are seen as the program saw them (a bind's host
 * directory is closed with the container: read it on the host instead).
 */
import type { BuiltContainer } from '../runtime/container_builder.js';
import { SETUP } from '../runtime/root_setup.js';
import { diffPaths, diffUpper, type UpperBaseline } from '../runtime/tree_diff.js';
import { FileType, OFlags, type Filestat } from '../../kernel/vfs/types.js';
import type { DiffEntry } from '../sentry/control_plane.js';

/** One change of the container's root: added (A), changed (C) or deleted (D). */
export type FsChange = DiffEntry;

/** The container's files after a run. */
export interface ContainerFs {
  /** What the program changed in the root, in path order (/proc, /sys and /dev left out). */
  diff(): Promise<FsChange[]>;
  /** The bytes of the file at `path` (absolute). Throws if absent or not a file. */
  read(path: string): Uint8Array;
  /** The file at `path` as UTF-8 text. */
  readText(path: string): string;
  /** True if `path` exists (symlinks not followed). */
  exists(path: string): boolean;
  /** Names in directory `path`, sorted (without `.` and `..`). */
  list(path: string): string[];
  /** stat of `path` (symlinks not followed). */
  stat(path: string): Filestat;
}

/** Why a container file could not be read; `errno` is the kernel's (`ENOENT`, `EISDIR`...). */
export class ContainerFsError extends Error {
  readonly code = 'FS';
  constructor(readonly path: string, readonly errno: string) {
    super(`${path}: ${errno} (in the container, after the run)`);
    this.name = 'ContainerFsError';
  }
}

const DEC = new TextDecoder();

function wrap<T>(path: string, f: () => T): T {
  if (!path.startsWith('/')) throw new ContainerFsError(path, 'EINVAL: give an absolute container path');
  try {
    return f();
  } catch (e) {
    const name = (e as { errnoName?: string }).errnoName;
    if (name !== undefined) throw new ContainerFsError(path, `E${name}`);
    throw e;
  }
}

/** The `fs` of a run over `built`, whose upper was `baseline` before the program ran. */
export function containerFs(built: BuiltContainer, baseline: UpperBaseline): ContainerFs {
  const ns = built.ns;
  const open = (path: string, dir: boolean) => ns.pathOps.open(SETUP, ns.rootHandle(), path, {
    oflags: dir ? OFlags.DIRECTORY : 0, fdflags: 0, followSymlinks: true, mode: { read: true, write: false },
  });
  return {
    diff: async () => diffPaths(await diffUpper(built.upper, built.lowers, baseline)),
    read: (path) => wrap(path, () => {
      const f = open(path, false);
      try {
        if (f.filetype !== FileType.REGULAR_FILE) throw Object.assign(new Error(), { errnoName: f.filetype === FileType.DIRECTORY ? 'ISDIR' : 'INVAL' });
        const size = Number(f.stat().size);
        const chunks: Uint8Array[] = [];
        let total = 0;
        for (;;) {
          const c = f.read(Math.max(65536, size - total));
          if (c.length === 0) break;
          chunks.push(c.slice());
          total += c.length;
        }
        const out = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          out.set(c, off);
          off += c.length;
        }
        return out;
      } finally {
        f.release();
      }
    }),
    readText(path) {
      return DEC.decode(this.read(path));
    },
    exists: (path) => {
      try {
        wrap(path, () => ns.pathOps.stat(SETUP, ns.rootHandle(), path, false));
        return true;
      } catch (e) {
        if (e instanceof ContainerFsError && (e.errno === 'ENOENT' || e.errno === 'ENOTDIR')) return false;
        throw e;
      }
    },
    list: (path) => wrap(path, () => {
      const d = open(path, true);
      try {
        const names: string[] = [];
        let cookie = 0n;
        for (;;) {
          const batch = d.readdir(cookie, 256);
          if (batch.length === 0) break;
          for (const e of batch) if (e.name !== '.' && e.name !== '..') names.push(e.name);
          cookie = batch[batch.length - 1]!.next;
        }
        return names.sort();
      } finally {
        d.release();
      }
    }),
    stat: (path) => wrap(path, () => ns.pathOps.stat(SETUP, ns.rootHandle(), path, false)),
  };
}
