/** Small helpers over PathOps for VFS tests. */
import { expect } from 'vitest';
import { E, SysError } from '../../../kernel/errno.js';
import type { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { type Credentials, type DirHandle, FdFlags, type OpenFile, OFlags } from '../../../kernel/vfs/types.js';

/** Root credentials. */
export const ROOT: Credentials = { uid: 0, gid: 0 };
/** An unprivileged user. */
export const USER: Credentials = { uid: 1000, gid: 1000 };

/** Expect `fn` to throw exactly the SysError `err`. */
export function expectErr(fn: () => unknown, err: SysError): void {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === null) throw new Error(`expected ${err.errnoName}, but the call succeeded`);
  if (!(thrown instanceof SysError)) throw thrown;
  expect(thrown.errnoName).toBe(err.errnoName);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Path-level helpers bound to one namespace and credential. */
export class Fx {
  readonly root: DirHandle;
  constructor(readonly ns: MountNamespace, readonly cred: Credentials = ROOT) {
    this.root = ns.rootHandle();
  }
  as(cred: Credentials): Fx {
    return new Fx(this.ns, cred);
  }
  get ops() {
    return this.ns.pathOps;
  }
  open(path: string, oflags = 0, write = false, fdflags = 0, follow = true): OpenFile {
    return this.ops.open(this.cred, this.root, path, { oflags, fdflags, followSymlinks: follow, mode: { read: true, write } });
  }
  write(path: string, data: string | Uint8Array, oflags = OFlags.CREAT | OFlags.TRUNC): void {
    const f = this.ops.open(this.cred, this.root, path, { oflags, fdflags: 0, followSymlinks: true, mode: { read: false, write: true } });
    try {
      f.write(typeof data === 'string' ? enc.encode(data) : data);
    } finally {
      f.release();
    }
  }
  append(path: string, data: string): void {
    const f = this.ops.open(this.cred, this.root, path, { oflags: 0, fdflags: FdFlags.APPEND, followSymlinks: true, mode: { read: false, write: true } });
    f.write(enc.encode(data));
    f.release();
  }
  read(path: string): string {
    const f = this.open(path);
    try {
      const parts: string[] = [];
      for (;;) {
        const b = f.read(65536);
        if (b.length === 0) break;
        parts.push(dec.decode(b));
      }
      return parts.join('');
    } finally {
      f.release();
    }
  }
  /** Names in a directory, without . and .., sorted. */
  ls(path: string): string[] {
    return this.lsAll(path).filter((n) => n !== '.' && n !== '..').sort();
  }
  /** Names in readdir order, including . and .. */
  lsAll(path: string): string[] {
    const f = this.open(path, OFlags.DIRECTORY);
    try {
      return f.readdir(0n).map((e) => e.name);
    } finally {
      f.release();
    }
  }
  stat(path: string, follow = true) {
    return this.ops.stat(this.cred, this.root, path, follow);
  }
  mkdir(path: string, mode = 0o755): void {
    this.ops.mkdir(this.cred, this.root, path, mode);
  }
  rmdir(path: string): void {
    this.ops.rmdir(this.cred, this.root, path);
  }
  unlink(path: string): void {
    this.ops.unlink(this.cred, this.root, path);
  }
  rename(a: string, b: string): void {
    this.ops.rename(this.cred, this.root, a, this.root, b);
  }
  link(a: string, b: string, follow = false): void {
    this.ops.link(this.cred, this.root, a, follow, this.root, b);
  }
  symlink(target: string, path: string): void {
    this.ops.symlink(this.cred, target, this.root, path);
  }
  readlink(path: string): string {
    return this.ops.readlink(this.cred, this.root, path);
  }
  exists(path: string): boolean {
    try {
      this.stat(path, false);
      return true;
    } catch (e) {
      if (e === E.NOENT) return false;
      throw e;
    }
  }
}
