/**
 * The default open file, as gVisor's `vfs.FileDescriptionDefaultImpl`
 * (file_description_impl_util.go) and browser_wasi_shim's abstract `Fd`:
 * every operation answers with the errno Linux gives a file that lacks it,
 * so a kind of file overrides only what it supports. The defaults are those
 * of a non-seekable file that is not open for anything: read/write EBADF;
 * pread, pwrite, seek, tell and allocate ESPIPE; truncate and sync EINVAL;
 * readdir ENOTDIR; setTimes EPERM; not readable, not writable; release does
 * nothing. Subclasses declare `filetype`, `fdflags`, `mode`, `stat` and
 * `describe` (as fields or accessors).
 */
import { E } from '../errno.js';
import type { TimeSpec } from './inode.js';
import type { DirEntry, DirHandle, Filestat, FileTypeValue, OpenFile, OpenMode } from './types.js';

/** Base of every open file kind: methods default to the right errno. */
export abstract class DefaultFile implements OpenFile {
  abstract readonly filetype: FileTypeValue;
  abstract fdflags: number;
  abstract readonly mode: OpenMode;
  /** Only directory descriptions are path-walk handles. */
  get dir(): DirHandle | undefined {
    return undefined;
  }
  abstract stat(): Filestat;
  abstract describe(): string;

  read(_max: number): Uint8Array {
    throw E.BADF;
  }
  pread(_max: number, _offset: bigint): Uint8Array {
    throw E.SPIPE;
  }
  write(_data: Uint8Array): number {
    throw E.BADF;
  }
  pwrite(_data: Uint8Array, _offset: bigint): number {
    throw E.SPIPE;
  }
  seek(_delta: bigint, _whence: number): bigint {
    throw E.SPIPE;
  }
  tell(): bigint {
    throw E.SPIPE;
  }
  truncate(_size: bigint): void {
    throw E.INVAL;
  }
  setTimes(_atim: TimeSpec, _mtim: TimeSpec): void {
    throw E.PERM;
  }
  sync(): void {
    throw E.INVAL;
  }
  readdir(_cookie: bigint, _max?: number): DirEntry[] {
    throw E.NOTDIR;
  }
  allocate(_offset: bigint, _len: bigint): void {
    throw E.SPIPE;
  }
  readable(): boolean {
    return false;
  }
  writable(): boolean {
    return false;
  }
  release(): void {}
}
