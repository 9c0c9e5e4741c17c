import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { Rights } from '../../../kernel/abi/wasi.js';
import { FileType } from '../../../kernel/vfs/types.js';
import { makeEnv, openPath, type Env } from './harness.js';

/** Call a `(fd, path, len)` path_* function. */
function p(env: Env, fn: string, path: string, fd = 3): number {
  const n = env.put(1000, path);
  return env.sys[fn]!(fd, 1000, n);
}

function statType(env: Env, path: string, follow = 1): number | string {
  const n = env.put(1000, path);
  const e = env.sys.path_filestat_get(3, follow, 1000, n, 64);
  return e === 0 ? env.u8()[64 + 16]! : `errno ${e}`;
}

describe('path_* calls', () => {
  it('path_create_directory, path_remove_directory', () => {
    const env = makeEnv();
    expect(p(env, 'path_create_directory', 'd')).toBe(0);
    expect(p(env, 'path_create_directory', 'd')).toBe(Errno.EXIST);
    expect(statType(env, 'd')).toBe(FileType.DIRECTORY);
    env.sys.fd_close(openPath(env, 'd/f', 1));
    expect(p(env, 'path_remove_directory', 'd')).toBe(Errno.NOTEMPTY);
    expect(p(env, 'path_unlink_file', 'd/f')).toBe(0);
    expect(p(env, 'path_remove_directory', 'd')).toBe(0);
    expect(statType(env, 'd')).toBe(`errno ${Errno.NOENT}`);
  });

  it('path_open with CREAT|EXCL, TRUNC and DIRECTORY', () => {
    const env = makeEnv();
    const n = env.put(1000, 'f');
    const all = (1n << 30n) - 1n;
    expect(env.sys.path_open(3, 0, 1000, n, 1 | 4, all, all, 0, 900)).toBe(0);
    expect(env.sys.path_open(3, 0, 1000, n, 1 | 4, all, all, 0, 900)).toBe(Errno.EXIST);
    expect(env.sys.path_open(3, 0, 1000, n, 2, all, all, 0, 900)).toBe(Errno.NOTDIR);
    expect(env.sys.path_open(3, 0, 1000, n, 0x10, all, all, 0, 900)).toBe(Errno.INVAL);
    expect(env.sys.path_open(3, 0, 1000, n, 0, all, all, 0x40, 900)).toBe(Errno.INVAL);
    expect(env.sys.path_open(1, 0, 1000, n, 0, all, all, 0, 900)).toBe(Errno.NOTDIR); // not a directory, whatever its rights
    const m = env.put(1000, 'missing');
    expect(env.sys.path_open(3, 0, 1000, m, 0, all, all, 0, 900)).toBe(Errno.NOENT);
  });

  it('path_open needs PATH_CREATE_FILE to create', () => {
    const env = makeEnv();
    expect(env.sys.fd_fdstat_set_rights(3, BigInt(Rights.PATH_OPEN), 0n)).toBe(0);
    const n = env.put(1000, 'new');
    expect(env.sys.path_open(3, 0, 1000, n, 1, 0n, 0n, 0, 900)).toBe(Errno.NOTCAPABLE);
  });

  it('rights follow the wasi-testsuite: narrowed by file type, EISDIR for a writable directory, EPERM for TRUNC', () => {
    const env = makeEnv();
    const dot = env.put(1000, '.');
    // a file created with no rights at all
    const f = env.put(1100, 'file');
    expect(env.sys.path_open(3, 0, 1100, f, 1, 0n, 0n, 0, 900)).toBe(0);
    const fd = env.u32(900);
    env.sys.fd_fdstat_get(fd, 32);
    expect(env.u64(40)).toBe(0n);
    env.iovs(16, [[200, 1]]);
    expect(env.sys.fd_read(fd, 16, 1, 8)).toBe(Errno.BADF);
    // a path call on it is ENOTDIR, not ENOTCAPABLE
    expect(env.sys.path_open(fd, 0, 1000, dot, 1, 0n, 0n, 0, 900)).toBe(Errno.NOTDIR);
    // "." with the preopen's own rights, with none, and with DIRECTORY|READ
    env.sys.fd_fdstat_get(3, 32);
    const [base, inh] = [env.u64(40), env.u64(48)];
    expect(env.sys.path_open(3, 0, 1000, dot, 0, base, inh, 0, 900)).toBe(0);
    expect(env.sys.path_open(3, 0, 1000, dot, 0, 0n, 0n, 0, 900)).toBe(0);
    expect(env.sys.path_open(3, 0, 1000, dot, 2, BigInt(Rights.FD_READ), 0n, 0, 900)).toBe(0);
    env.sys.fd_fdstat_get(env.u32(900), 32);
    expect(env.u64(40)).toBe(0n); // FD_READ is not a directory right
    expect(env.sys.path_open(3, 0, 1000, dot, 2, BigInt(Rights.FD_READ | Rights.FD_WRITE), 0n, 0, 900)).toBe(Errno.ISDIR);
    // a directory fd never holds FD_FILESTAT_SET_SIZE, even when asked with every right
    expect(env.sys.path_open(3, 0, 1000, dot, 2, (1n << 30n) - 1n & ~BigInt(Rights.FD_WRITE), (1n << 30n) - 1n, 0, 900)).toBe(0);
    env.sys.fd_fdstat_get(env.u32(900), 32);
    expect(env.u64(40) & BigInt(Rights.FD_FILESTAT_SET_SIZE)).toBe(0n);
    // TRUNC needs PATH_FILESTAT_SET_SIZE on the directory: EPERM without it
    expect(env.sys.path_open(3, 0, 1100, f, 8, 0n, 0n, 0, 900)).toBe(0);
    expect(env.sys.fd_fdstat_set_rights(3, base & ~BigInt(Rights.PATH_FILESTAT_SET_SIZE), inh)).toBe(0);
    expect(env.sys.path_open(3, 0, 1100, f, 8, 0n, 0n, 0, 900)).toBe(Errno.PERM);
  });

  it('path_symlink, path_readlink, lookup flags', () => {
    const env = makeEnv();
    env.sys.fd_close(openPath(env, 'target', 1));
    const t = env.put(1000, 'target');
    const l = env.put(1100, 'link');
    expect(env.sys.path_symlink(1000, t, 3, 1100, l)).toBe(0);
    expect(statType(env, 'link', 0)).toBe(FileType.SYMBOLIC_LINK);
    expect(statType(env, 'link', 1)).toBe(FileType.REGULAR_FILE);
    expect(env.sys.path_readlink(3, 1100, l, 2000, 100, 8)).toBe(0);
    expect(env.get(2000, env.u32(8))).toBe('target');
    expect(env.sys.path_readlink(3, 1100, l, 2000, 3, 8)).toBe(0); // truncated like readlink(2)
    expect(env.get(2000, env.u32(8))).toBe('tar');
    env.put(1000, 'target');
    expect(env.sys.path_readlink(3, 1000, t, 2000, 100, 8)).toBe(Errno.INVAL);
  });

  it('path_link makes a hard link; path_rename moves; path_unlink_file removes', () => {
    const env = makeEnv();
    env.sys.fd_close(openPath(env, 'a', 1));
    const a = env.put(1000, 'a');
    const b = env.put(1100, 'b');
    expect(env.sys.path_link(3, 0, 1000, a, 3, 1100, b)).toBe(0);
    env.sys.path_filestat_get(3, 0, 1100, b, 64);
    expect(env.u64(64 + 24)).toBe(2n);
    const c = env.put(1200, 'c');
    expect(env.sys.path_rename(3, 1100, b, 3, 1200, c)).toBe(0);
    expect(statType(env, 'b')).toBe(`errno ${Errno.NOENT}`);
    expect(statType(env, 'c')).toBe(FileType.REGULAR_FILE);
    expect(p(env, 'path_unlink_file', 'c')).toBe(0);
    expect(p(env, 'path_unlink_file', 'c')).toBe(Errno.NOENT);
    env.put(1000, 'a');
    expect(env.sys.path_filestat_get(3, 0, 1000, a, 64)).toBe(0);
    expect(env.u64(64 + 24)).toBe(1n);
  });

  it('path_filestat_set_times', () => {
    const env = makeEnv();
    env.sys.fd_close(openPath(env, 'a', 1));
    const a = env.put(1000, 'a');
    expect(env.sys.path_filestat_set_times(3, 1, 1000, a, 11n, 22n, 1 | 4)).toBe(0);
    env.sys.path_filestat_get(3, 1, 1000, a, 64);
    expect(env.u64(64 + 40)).toBe(11n);
    expect(env.u64(64 + 48)).toBe(22n);
    expect(env.sys.path_filestat_set_times(3, 1, 1000, a, 0n, 0n, 0x10)).toBe(Errno.INVAL);
  });

  it('path strings: invalid UTF-8 is EILSEQ, an embedded NUL is EINVAL, past memory is EFAULT', () => {
    const env = makeEnv();
    env.put(1000, new Uint8Array([0x66, 0xff, 0x66]));
    expect(env.sys.path_create_directory(3, 1000, 3)).toBe(Errno.ILSEQ);
    env.put(1000, new Uint8Array([0x66, 0x00, 0x66]));
    expect(env.sys.path_create_directory(3, 1000, 3)).toBe(Errno.INVAL);
    expect(env.sys.path_create_directory(3, 65530, 10)).toBe(Errno.FAULT);
    expect(env.sys.path_create_directory(3, 0xffff_fff0, 0x20)).toBe(Errno.FAULT);
    expect(env.sys.path_create_directory(3, 10, -1)).toBe(Errno.FAULT);
  });

  it('path calls on a non-directory fd are ENOTDIR; on a bad fd EBADF', () => {
    const env = makeEnv();
    const f = openPath(env, 'file', 1);
    expect(p(env, 'path_create_directory', 'x', f)).toBe(Errno.NOTDIR);
    expect(p(env, 'path_create_directory', 'x', 55)).toBe(Errno.BADF);
  });

  it('the root preopen cannot be escaped with ..', () => {
    const env = makeEnv();
    expect(p(env, 'path_create_directory', 'top')).toBe(0);
    expect(statType(env, '../../top')).toBe(FileType.DIRECTORY);
  });
});
