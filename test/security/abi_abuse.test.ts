/**
 * A hostile guest at the ABI boundary: raw pointers at and across the end of
 * memory, u32 wraparound, iovec arrays that overlap themselves, counts that
 * would make the kernel allocate far more than the guest owns, and
 * memory.grow between calls. Every call must return an errno (never throw
 * into the host), report no kernel bug, and leave nothing half-done.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../kernel/errno.js';
import { makeEnv, openPath } from '../kernel/syscalls/harness.js';

const PAGE = 65536;
const ALL = (1n << 30n) - 1n;

describe('pointers at the end of memory and u32 wraparound', () => {
  it('a range ending exactly at the end of memory is fine; one byte more is EFAULT', () => {
    const env = makeEnv();
    expect(env.sys.random_get(PAGE - 16, 16)).toBe(0);
    expect(env.sys.random_get(PAGE - 16, 17)).toBe(Errno.FAULT);
    expect(env.sys.random_get(PAGE, 0)).toBe(0); // empty range at the very end
    expect(env.sys.random_get(PAGE + 1, 0)).toBe(Errno.FAULT);
    expect(env.sys.clock_time_get(0, 0n, PAGE - 8)).toBe(0);
    expect(env.sys.clock_time_get(0, 0n, PAGE - 7)).toBe(Errno.FAULT);
    expect(env.host.bugs).toEqual([]);
  });

  it('ptr + len wrapping around 2^32 is EFAULT, not a small range', () => {
    const env = makeEnv();
    for (const [ptr, len] of [[0xffff_ffff, 1], [0xffff_fff0, 0x20], [0x8000_0000, 0x8000_0000], [16, 0xffff_fff0]]) {
      expect(env.sys.random_get(ptr!, len!), `${ptr}+${len}`).toBe(Errno.FAULT);
      const n = env.put(100, 'p');
      expect(env.sys.path_open(3, 0, ptr!, len!, 0, ALL, ALL, 0, 200)).not.toBe(0);
      if (ptr! >= PAGE) expect(env.sys.path_filestat_get(3, 0, 100, n, ptr!)).toBe(Errno.FAULT);
    }
    expect(env.host.bugs).toEqual([]);
  });

  it('struct out-pointers straddling the end are EFAULT and nothing is written', () => {
    const env = makeEnv();
    const tail = env.u8().slice(PAGE - 64);
    expect(env.sys.fd_filestat_get(1, PAGE - 63)).toBe(Errno.FAULT);
    expect(env.sys.fd_fdstat_get(1, PAGE - 23)).toBe(Errno.FAULT);
    expect(env.sys.fd_prestat_get(3, PAGE - 7)).toBe(Errno.FAULT);
    expect(env.sys.args_sizes_get(PAGE - 2, 0)).toBe(Errno.FAULT);
    expect(env.sys.fd_seek(1, 0n, 0, PAGE - 4)).toBe(Errno.FAULT);
    expect(env.u8().slice(PAGE - 64)).toEqual(tail);
  });
});

describe('iovecs', () => {
  it('an iovec array that is its own read buffer: the data lands, the array was decoded first', () => {
    const env = makeEnv({ stdin: 'ABCDEFGHIJKLMNOP' });
    // two iovecs at 64; the first one's buffer covers the iovec array itself
    env.iovs(64, [[64, 8], [200, 8]]);
    expect(env.sys.fd_read(0, 64, 2, 300)).toBe(0);
    expect(env.u32(300)).toBe(16);
    expect(env.get(64, 8)).toBe('ABCDEFGH');
    expect(env.get(200, 8)).toBe('IJKLMNOP');
  });

  it('overlapping iovecs for a write send the bytes each one covers, in order', () => {
    const env = makeEnv();
    env.put(100, 'abcdef');
    env.iovs(16, [[100, 4], [102, 4], [100, 1]]);
    expect(env.sys.fd_write(1, 16, 3, 300)).toBe(0);
    expect(env.u32(300)).toBe(9);
    expect(env.stdout.text).toBe('abcdcdefa');
  });

  it('the iovec array pointing into itself for a write writes its own bytes', () => {
    const env = makeEnv();
    env.iovs(16, [[16, 8]]);
    expect(env.sys.fd_write(1, 16, 1, 300)).toBe(0);
    expect(env.u32(300)).toBe(8);
  });

  it('1024 iovecs over the same bytes cannot make the kernel allocate ~1000x the guest memory', () => {
    const env = makeEnv();
    const fd = openPath(env, 'dev-zero-stand-in', 1 /* CREAT */);
    // 1024 iovecs each covering (almost) the whole 64 KiB memory: 64 MiB asked for by a 64 KiB guest
    for (let i = 0; i < 1024; i++) env.iovs(8192 + i * 8, [[0, PAGE - 16]]);
    expect(env.sys.fd_write(fd, 8192, 1024, PAGE - 8)).toBe(0);
    const written = env.u32(PAGE - 8);
    // a short write is allowed; the kernel took at most what the guest's memory holds
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(PAGE);
    expect(env.sys.fd_filestat_get(fd, 512)).toBe(0);
    expect(env.u64(512 + 32)).toBe(BigInt(written));
    expect(env.host.bugs).toEqual([]);
  });

  it('a read into 1024 overlapping iovecs is capped at the memory size (short read)', () => {
    const env = makeEnv();
    env.memory.grow(1);
    const size = 2 * PAGE;
    const nz = env.put(1000, 'zeros');
    // fill a file with 3 pages of data, then read it back through overlapping iovecs
    let fdW = 0;
    {
      expect(env.sys.path_open(3, 0, 1000, nz, 1, ALL, ALL, 0, 900)).toBe(0);
      fdW = env.u32(900);
      env.iovs(16, [[0, size - 64]]);
      expect(env.sys.fd_write(fdW, 16, 1, 24)).toBe(0);
      expect(env.sys.fd_write(fdW, 16, 1, 24)).toBe(0);
      expect(env.sys.fd_seek(fdW, 0n, 0, 24)).toBe(0);
    }
    for (let i = 0; i < 1024; i++) env.iovs(4096 + i * 8, [[0, size - 64]]);
    expect(env.sys.fd_read(fdW, 4096, 1024, size - 8)).toBe(0);
    expect(env.u32(size - 8)).toBeLessThanOrEqual(size);
    expect(env.host.bugs).toEqual([]);
  });
});

describe('memory.grow between calls', () => {
  it('empty ranges at pointer 0 right after a grow are not a kernel bug', () => {
    const env = makeEnv();
    env.memory.grow(1); // detaches the buffer the kernel cached
    expect(env.sys.random_get(0, 0)).toBe(0);
    expect(env.sys.path_open(3, 0, 0, 0, 0, ALL, ALL, 0, 200)).toBe(Errno.NOENT);
    env.memory.grow(1);
    expect(env.sys.path_filestat_get(3, 0, 0, 0, 300)).toBe(Errno.NOENT);
    env.memory.grow(1);
    env.iovs(16, [[0, 0]]);
    expect(env.sys.fd_write(1, 16, 1, 300)).toBe(0);
    env.memory.grow(1);
    expect(env.sys.fd_prestat_dir_name(3, 0, 0)).toBe(Errno.NAMETOOLONG);
    expect(env.host.bugs).toEqual([]);
  });

  it('a pointer into pages that appeared after a grow is valid at once', () => {
    const env = makeEnv();
    expect(env.sys.random_get(PAGE, 16)).toBe(Errno.FAULT);
    env.memory.grow(3);
    expect(env.sys.random_get(4 * PAGE - 16, 16)).toBe(0);
    expect(env.sys.random_get(4 * PAGE - 16, 17)).toBe(Errno.FAULT);
  });
});

describe('huge counts and lengths', () => {
  it('a path longer than PATH_MAX is ENAMETOOLONG without decoding it all', () => {
    const env = makeEnv();
    env.memory.grow(15); // 1 MiB
    env.u8().fill(0x61, 0, 1 << 20);
    expect(env.sys.path_open(3, 0, 0, 1 << 20, 0, ALL, ALL, 0, 1 << 20 - 4)).toBe(Errno.NAMETOOLONG);
    expect(env.sys.path_create_directory(3, 0, 5000)).toBe(Errno.NAMETOOLONG);
    expect(env.sys.path_symlink(0, 5000, 3, 0, 3)).toBe(Errno.NAMETOOLONG);
    expect(env.host.bugs).toEqual([]);
  });

  it('u32-max counts: poll_oneoff, iovecs, readdir buffers', () => {
    const env = makeEnv();
    expect(env.sys.poll_oneoff(0, 0, -1, 8)).toBe(Errno.INVAL);
    expect(env.sys.poll_oneoff(0, 0, 65537, 8)).toBe(Errno.INVAL);
    expect(env.sys.poll_oneoff(0, 0, 0, 8)).toBe(Errno.INVAL);
    expect(env.sys.fd_read(0, 16, -1, 8)).toBe(Errno.INVAL);
    expect(env.sys.fd_readdir(3, 0, -1, 0n, 8)).toBe(Errno.FAULT);
    expect(env.sys.args_get(-8, -8)).toBe(Errno.FAULT);
    expect(env.host.bugs).toEqual([]);
  });
});

describe('args and environ', () => {
  it('large argv/env: sizes are exact, a buffer too small or too close to the end is EFAULT, never a bug', () => {
    const args = Array.from({ length: 2000 }, (_, i) => `arg-${i}-${'é'.repeat(i % 7)}`);
    const env = makeEnv({ args, env: ['A=\x1b[31m', 'B='] });
    env.memory.grow(2);
    expect(env.sys.args_sizes_get(16, 20)).toBe(0);
    expect(env.u32(16)).toBe(2000);
    const size = env.u32(20);
    expect(size).toBe(args.reduce((n, a) => n + new TextEncoder().encode(a).byteLength + 1, 0));
    expect(env.sys.args_get(1024, 16384)).toBe(0);
    expect(env.get(env.u32(1024 + 4 * 1999), 8)).toBe('arg-1999');
    // the pointer array or the strings running past the end of memory
    const end = 3 * PAGE;
    expect(env.sys.args_get(end - 100, 16384)).toBe(Errno.FAULT);
    expect(env.sys.args_get(1024, end - size + 1)).toBe(Errno.FAULT);
    expect(env.sys.environ_get(end - 4, end - 2)).toBe(Errno.FAULT);
    expect(env.host.bugs).toEqual([]);
  });
});
