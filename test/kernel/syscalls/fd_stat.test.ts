import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { RIGHTS_ALL, RIGHTS_DIR_BASE, RIGHTS_FILE_BASE, Rights } from '../../../kernel/abi/wasi.js';
import { FdFlags, FileType } from '../../../kernel/vfs/types.js';
import { makeEnv, openPath } from './harness.js';

describe('fd_fdstat_* and fd_filestat_*', () => {
  it('fd_fdstat_get reports type, flags and rights', () => {
    const env = makeEnv();
    expect(env.sys.fd_fdstat_get(1, 32)).toBe(0);
    expect(env.u8()[32]).toBe(FileType.CHARACTER_DEVICE);
    const base = env.u64(40);
    expect(base & BigInt(Rights.FD_WRITE)).not.toBe(0n);
    expect(base & BigInt(Rights.FD_SEEK)).not.toBe(0n); // not a tty: isatty() false
    expect(env.sys.fd_fdstat_get(3, 32)).toBe(0);
    expect(env.u8()[32]).toBe(FileType.DIRECTORY);
    expect(env.u64(40)).toBe(BigInt(RIGHTS_DIR_BASE));
    expect(env.u64(48)).toBe(BigInt(RIGHTS_DIR_BASE | RIGHTS_FILE_BASE));
    expect(env.u64(40) & BigInt(Rights.FD_FILESTAT_SET_SIZE | Rights.FD_WRITE | Rights.FD_READ)).toBe(0n);
    expect(env.sys.fd_fdstat_get(99, 32)).toBe(Errno.BADF);
  });

  it('fd_fdstat_set_flags toggles APPEND and NONBLOCK and refuses SYNC changes', () => {
    const env = makeEnv();
    const fd = openPath(env, 'f', 1);
    expect(env.sys.fd_fdstat_set_flags(fd, FdFlags.APPEND)).toBe(0);
    env.sys.fd_fdstat_get(fd, 32);
    expect(env.dv().getUint16(34, true)).toBe(FdFlags.APPEND);
    expect(env.sys.fd_fdstat_set_flags(fd, FdFlags.SYNC)).toBe(Errno.NOTSUP);
    expect(env.sys.fd_fdstat_set_flags(fd, 0x100)).toBe(Errno.INVAL);
    expect(env.sys.fd_fdstat_set_flags(fd, 0)).toBe(0);
    env.sys.fd_fdstat_get(fd, 32);
    expect(env.dv().getUint16(34, true)).toBe(0);
    // NONBLOCK on the stdin pipe turns a would-block read into EAGAIN
    expect(env.sys.fd_fdstat_set_flags(0, FdFlags.NONBLOCK)).toBe(0);
    env.iovs(16, [[100, 4]]);
    expect(env.sys.fd_read(0, 16, 1, 8)).toBe(Errno.AGAIN);
  });

  it('fd_fdstat_set_rights only drops rights', () => {
    const env = makeEnv();
    const fd = openPath(env, 'f', 1);
    const keep = BigInt(Rights.FD_READ | Rights.FD_FDSTAT_SET_FLAGS);
    expect(env.sys.fd_fdstat_set_rights(fd, keep, 0n)).toBe(0);
    env.sys.fd_fdstat_get(fd, 32);
    expect(env.u64(40)).toBe(keep);
    expect(env.sys.fd_fdstat_set_rights(fd, keep | BigInt(Rights.FD_WRITE), 0n)).toBe(Errno.NOTCAPABLE);
    expect(env.sys.fd_fdstat_set_rights(fd, 1n << 40n, 0n)).toBe(Errno.NOTCAPABLE);
    env.iovs(16, [[100, 1]]);
    expect(env.sys.fd_write(fd, 16, 1, 8)).toBe(Errno.BADF);
  });

  it('path_open intersects requested rights with the directory inheriting rights', () => {
    const env = makeEnv();
    expect(env.sys.fd_fdstat_set_rights(3, BigInt(RIGHTS_ALL), 0n)).toBe(Errno.NOTCAPABLE); // cannot gain rights
    expect(env.sys.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR_BASE), BigInt(Rights.FD_READ | Rights.FD_SEEK))).toBe(0);
    const fd = openPath(env, 'g', 1);
    env.sys.fd_fdstat_get(fd, 32);
    expect(env.u64(40)).toBe(BigInt(Rights.FD_READ | Rights.FD_SEEK));
  });

  it('fd_filestat_get / set_size / set_times', () => {
    const env = makeEnv();
    const fd = openPath(env, 'f', 1);
    expect(env.sys.fd_filestat_set_size(fd, 1234n)).toBe(0);
    expect(env.sys.fd_filestat_get(fd, 64)).toBe(0);
    expect(env.u8()[64 + 16]).toBe(FileType.REGULAR_FILE);
    expect(env.u64(64 + 32)).toBe(1234n);
    expect(env.u64(64 + 24)).toBe(1n); // nlink
    expect(env.sys.fd_filestat_set_times(fd, 5_000_000_123n, 7_000_000_456n, 1 | 4)).toBe(0);
    env.sys.fd_filestat_get(fd, 64);
    expect(env.u64(64 + 40)).toBe(5_000_000_123n);
    expect(env.u64(64 + 48)).toBe(7_000_000_456n);
    expect(env.sys.fd_filestat_set_times(fd, 0n, 0n, 1 | 2)).toBe(Errno.INVAL);
    expect(env.sys.fd_filestat_set_times(fd, 0n, 0n, 4 | 8)).toBe(Errno.INVAL);
    expect(env.sys.fd_filestat_set_times(fd, 0n, 0n, 8)).toBe(0);
    env.sys.fd_filestat_get(fd, 64);
    expect(env.u64(64 + 48)).toBe(env.host.nowNs);
    expect(env.sys.fd_filestat_set_size(0, 1n)).toBe(Errno.NOTCAPABLE); // stream: no SET_SIZE right
  });
});
