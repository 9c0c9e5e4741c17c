/**
 * Resource exhaustion from a hostile guest: fds until EMFILE, files until
 * ENOSPC, deep nesting and long paths, symlink loops, a huge directory read
 * with a tiny buffer, full pipes and poll_oneoff with thousands of
 * subscriptions. Each limit must hold, fail with the POSIX errno, leave the
 * kernel sound (no bug logged, nothing leaked) and let the guest recover.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SUBSCRIPTIONS } from '../../kernel/abi/calls_misc.js';
import { Errno } from '../../kernel/errno.js';
import { DEFAULT_FD_LIMIT, FdTable } from '../../kernel/task/fd_table.js';
import { Pipe, PIPE_CAPACITY } from '../../kernel/task/pipe.js';
import { FdFlags } from '../../kernel/vfs/types.js';
import { DIR_REQUEST, makeEnv, openPath } from '../kernel/syscalls/harness.js';

const ALL = (1n << 30n) - 1n;
const CREAT = 1;
const DIRECTORY = 2;

describe('fd exhaustion', () => {
  it('opening files stops at RLIMIT_NOFILE (1024 by default) with EMFILE, and closing one lets the next open succeed', () => {
    const env = makeEnv();
    openPath(env, 'f', CREAT);
    const n = env.put(1000, 'f');
    let errno = 0;
    let opened = 0;
    for (let i = 0; i < DEFAULT_FD_LIMIT + 10; i++) {
      errno = env.sys.path_open(3, 0, 1000, n, 0, ALL, ALL, 0, 900);
      if (errno !== 0) break;
      opened++;
    }
    expect(errno).toBe(Errno.MFILE);
    expect(env.task.fds.count).toBe(DEFAULT_FD_LIMIT);
    expect(opened).toBe(DEFAULT_FD_LIMIT - 5); // 0-2, the preopen and the first open
    expect(env.sys.fd_close(700)).toBe(0);
    expect(env.sys.path_open(3, 0, 1000, n, 0, ALL, ALL, 0, 900)).toBe(0);
    expect(env.u32(900)).toBe(700); // the lowest free fd
    expect(env.sys.fd_renumber(5, DEFAULT_FD_LIMIT)).toBe(Errno.BADF); // dup2 past the limit
    expect(env.sys.fd_renumber(5, 0xffff_ffff)).toBe(Errno.BADF);
    expect(env.host.bugs).toEqual([]);
  });

  it('the limit is configurable per task', () => {
    const env = makeEnv({ fdLimit: 8 });
    const fds: number[] = [];
    for (let i = 0; i < 4; i++) fds.push(openPath(env, `f${i}`, CREAT));
    expect(fds).toEqual([4, 5, 6, 7]);
    const n = env.put(1000, 'g');
    expect(env.sys.path_open(3, 0, 1000, n, CREAT, ALL, ALL, 0, 900)).toBe(Errno.MFILE);
    expect(env.sys.path_filestat_get(3, 0, 1000, n, 800)).toBe(0); // created, as Linux (open fails after the create)
  });
});

describe('large fd limits', () => {
  it('opening up to a high limit costs O(1) per open (no scan from fd 0), and lowest-free still holds', () => {
    const t = new FdTable(1 << 20);
    const file = new Pipe().readEnd();
    const t0 = performance.now();
    let last = -1;
    for (let i = 0; i < 300_000; i++) last = t.insert(file, 0, 0);
    expect(last).toBe(299_999);
    expect(performance.now() - t0).toBeLessThan(3000); // a scan per open would be ~4.5e10 steps
    t.close(7);
    t.close(123_456);
    expect(t.insert(file, 0, 0)).toBe(7);
    expect(t.insert(file, 0, 0)).toBe(123_456);
    expect(t.insert(file, 0, 0)).toBe(300_000);
    t.renumber(5, 400_000);
    expect(t.insert(file, 0, 0)).toBe(5);
    t.renumber(6, 6);
    t.close(0);
    t.renumber(1, 0);
    expect(t.insert(file, 0, 0)).toBe(1);
    expect(t.insert(file, 0, 0, undefined, 3)).toBe(300_001);
    expect(t.count).toBe(300_003);
  });
});

describe('tmpfs space', () => {
  it('files and directories until ENOSPC, with nothing half-written; removing them frees the space', () => {
    const env = makeEnv({ tmpfsLimit: 1 << 20 });
    let created = 0;
    let errno = 0;
    for (; created < 100_000; created++) {
      const n = env.put(1000, `file-${created}`);
      errno = env.sys.path_open(3, 0, 1000, n, CREAT, ALL, ALL, 0, 900);
      if (errno !== 0) break;
      expect(env.sys.fd_close(env.u32(900))).toBe(0);
    }
    expect(errno).toBe(Errno.NOSPC);
    expect(created).toBeGreaterThan(100); // metadata is charged: empty files alone hit the limit
    const m = env.put(1000, 'dir-x');
    expect(env.sys.path_create_directory(3, 1000, m)).toBe(Errno.NOSPC);
    for (let i = 0; i < created; i++) {
      const n = env.put(1000, `file-${i}`);
      expect(env.sys.path_unlink_file(3, 1000, n)).toBe(0);
    }
    // the space is back: a 512 KiB write fits, a second 600 KiB one is cut or refused, never over the limit
    const fd = openPath(env, 'big', CREAT);
    env.iovs(16, [[0, 60000]]);
    let total = 0;
    for (;;) {
      const e = env.sys.fd_write(fd, 16, 1, 8);
      if (e !== 0) {
        expect(e).toBe(Errno.NOSPC);
        break;
      }
      total += env.u32(8);
      expect(total).toBeLessThanOrEqual(1 << 20);
    }
    expect(env.sys.fd_filestat_get(fd, 512)).toBe(0);
    expect(env.u64(512 + 32)).toBe(BigInt(total));
    expect(env.host.bugs).toEqual([]);
  });
});

describe('paths', () => {
  it('a path over PATH_MAX is ENAMETOOLONG, a name over 255 bytes too; nesting deeper through dir fds works', () => {
    const env = makeEnv();
    const long = 'd/'.repeat(2048); // 4096 bytes
    const n = env.put(1000, long.slice(0, 4096));
    expect(env.sys.path_create_directory(3, 1000, n)).toBe(Errno.NAMETOOLONG);
    const name = env.put(1000, 'x'.repeat(256));
    expect(env.sys.path_create_directory(3, 1000, name)).toBe(Errno.NAMETOOLONG);
    // 3000 levels, one at a time through an fd per level (closing the previous)
    let dir = 3;
    const d = env.put(1000, 'd');
    for (let i = 0; i < 3000; i++) {
      expect(env.sys.path_create_directory(dir, 1000, d)).toBe(0);
      expect(env.sys.path_open(dir, 0, 1000, d, DIRECTORY, DIR_REQUEST, ALL, 0, 900)).toBe(0);
      const next = env.u32(900);
      if (dir !== 3) expect(env.sys.fd_close(dir)).toBe(0);
      dir = next;
    }
    expect(env.task.fds.count).toBe(5);
    // the whole path from the root is now too long to name
    const deep = env.put(1000, 'd/'.repeat(3000).slice(0, -1));
    expect(env.sys.path_filestat_get(3, 0, 1000, deep, 512)).toBe(Errno.NAMETOOLONG);
    expect(env.host.bugs).toEqual([]);
  });

  it('symlink loops and chains of more than 40 links are ELOOP', () => {
    const env = makeEnv();
    const put2 = (a: string, b: string) => [env.put(1000, a), env.put(2000, b)] as const;
    let [t, l] = put2('loop-b', 'loop-a');
    expect(env.sys.path_symlink(1000, t, 3, 2000, l)).toBe(0);
    [t, l] = put2('loop-a', 'loop-b');
    expect(env.sys.path_symlink(1000, t, 3, 2000, l)).toBe(0);
    [t, l] = put2('self/x', 'self');
    expect(env.sys.path_symlink(1000, t, 3, 2000, l)).toBe(0);
    for (const p of ['loop-a', 'loop-b/x', 'self', 'self/x/y']) {
      const n = env.put(1000, p);
      expect(env.sys.path_open(3, 1, 1000, n, 0, ALL, ALL, 0, 900), p).toBe(Errno.LOOP);
    }
    openPath(env, 'end', CREAT);
    for (let i = 0; i < 41; i++) {
      [t, l] = put2(i === 0 ? 'end' : `c${i - 1}`, `c${i}`);
      expect(env.sys.path_symlink(1000, t, 3, 2000, l)).toBe(0);
    }
    const ok = env.put(1000, 'c39'); // 40 links
    expect(env.sys.path_filestat_get(3, 1, 1000, ok, 512)).toBe(0);
    const over = env.put(1000, 'c40'); // 41 links
    expect(env.sys.path_filestat_get(3, 1, 1000, over, 512)).toBe(Errno.LOOP);
    expect(env.host.bugs).toEqual([]);
  });
});

describe('a directory with 100,000 entries', () => {
  it('read with a tiny buffer makes progress on every call, lists every entry once, in linear time', () => {
    const env = makeEnv();
    const N = 100_000;
    const dirN = env.put(1000, 'big');
    expect(env.sys.path_create_directory(3, 1000, dirN)).toBe(0);
    const dir = openPath(env, 'big', DIRECTORY, 0, DIR_REQUEST);
    let failed = 0;
    for (let i = 0; i < N; i++) {
      const n = env.put(1000, `e${i}`);
      if (env.sys.path_open(dir, 0, 1000, n, CREAT, ALL, ALL, 0, 900) !== 0) failed++;
      env.sys.fd_close(env.u32(900));
    }
    expect(failed).toBe(0);
    const seen = new Set<string>();
    let cookie = 0n;
    let calls = 0;
    let regressions = 0;
    const dv = env.dv();
    const t0 = performance.now();
    for (;;) {
      calls++;
      if (env.sys.fd_readdir(dir, 4096, 32, cookie, 8) !== 0) break; // room for one header and 8 name bytes
      if (dv.getUint32(8, true) === 0) break;
      const next = dv.getBigUint64(4096, true);
      const len = dv.getUint32(4096 + 16, true);
      if (next <= cookie) regressions++;
      seen.add(24 + len <= 32 ? env.get(4096 + 24, len) : `long:${next}`);
      cookie = next;
      if (calls > N + 10) break;
    }
    const ms = performance.now() - t0;
    expect(regressions).toBe(0);
    expect(seen.size).toBe(N + 2); // . and ..
    expect(calls).toBe(N + 3);
    expect(ms).toBeLessThan(15_000); // about 1 s here; quadratic would be ~10^10 steps
    expect(env.host.bugs).toEqual([]);
  }, 60_000);
});

describe('pipes', () => {
  it('a pipe fills to its capacity and then blocks (EAGAIN when non-blocking); small writes are atomic', () => {
    const p = new Pipe();
    const r = p.readEnd();
    const w = p.writeEnd();
    w.fdflags = FdFlags.NONBLOCK;
    let total = 0;
    const chunk = new Uint8Array(1000).fill(7);
    for (;;) {
      try {
        total += w.write(chunk);
      } catch (e) {
        expect((e as { errno?: number }).errno).toBe(Errno.AGAIN);
        break;
      }
    }
    // 1000 ≤ PIPE_BUF: all or nothing, so 65 writes fit and the 66th waits
    expect(total).toBe(65_000);
    expect(w.write(new Uint8Array(PIPE_CAPACITY - total))).toBe(PIPE_CAPACITY - total);
    expect(() => w.write(new Uint8Array(1))).toThrow(/AGAIN/);
    expect(() => w.write(new Uint8Array(PIPE_CAPACITY))).toThrow(/AGAIN/);
    total = PIPE_CAPACITY;
    expect(p.size).toBe(PIPE_CAPACITY);
    expect(r.read(1 << 20).byteLength).toBe(total);
  });

  it('64 Ki one-byte writes cost little host memory and drain in linear time', () => {
    const p = new Pipe();
    const r = p.readEnd();
    const w = p.writeEnd();
    const one = new Uint8Array([1]);
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < PIPE_CAPACITY; i++) n += w.write(one);
    expect(n).toBe(PIPE_CAPACITY);
    expect(p.chunkCount).toBeLessThan(PIPE_CAPACITY / 100); // coalesced, not one object per byte
    let got = 0;
    while (got < PIPE_CAPACITY) got += r.read(7).byteLength;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.size).toBe(0);
  });

  it('the last reader leaving frees the buffer and writers get EPIPE', () => {
    const p = new Pipe();
    const r = p.readEnd();
    const w = p.writeEnd();
    w.write(new Uint8Array(4000));
    r.release();
    expect(p.size).toBe(0);
    expect(() => w.write(new Uint8Array(1))).toThrow(/PIPE/);
  });
});

describe('poll_oneoff with many subscriptions', () => {
  it('MAX_SUBSCRIPTIONS (8,192) subscriptions on one blocking fd plus a timeout: one wait, no blow-up; one more is EINVAL', () => {
    const env = makeEnv();
    const N = MAX_SUBSCRIPTIONS;
    // needs 48 * N for the subscriptions and 32 * N for the events
    env.memory.grow(90);
    const SUBS = 65_536;
    const OUT = SUBS + 48 * N;
    const dv = env.dv();
    for (let i = 0; i < N - 1; i++) {
      const p = SUBS + i * 48;
      dv.setBigUint64(p, BigInt(i), true);
      dv.setUint8(p + 8, 1); // FD_READ
      dv.setUint32(p + 16, 0, true); // stdin: an open, empty pipe
    }
    const last = SUBS + (N - 1) * 48;
    dv.setBigUint64(last, 999n, true);
    dv.setUint8(last + 8, 0); // CLOCK
    dv.setUint32(last + 16, 1, true); // MONOTONIC
    dv.setBigUint64(last + 24, 1_000_000n, true);
    const t0 = performance.now();
    expect(env.sys.poll_oneoff(SUBS, OUT, N, 16)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(env.u32(16)).toBe(1);
    expect(env.u64(OUT)).toBe(999n);
    expect(env.sys.poll_oneoff(SUBS, OUT, N + 1, 16)).toBe(Errno.INVAL);
    expect(env.host.bugs).toEqual([]);
  });

  it('MAX_SUBSCRIPTIONS subscriptions on a closed fd each report EBADF', () => {
    const env = makeEnv();
    env.memory.grow(90);
    const N = MAX_SUBSCRIPTIONS;
    const SUBS = 65_536;
    const OUT = SUBS + 48 * N;
    const dv = env.dv();
    for (let i = 0; i < N; i++) {
      dv.setUint8(SUBS + i * 48 + 8, 2); // FD_WRITE
      dv.setUint32(SUBS + i * 48 + 16, 77, true);
    }
    expect(env.sys.poll_oneoff(SUBS, OUT, N, 16)).toBe(0);
    expect(env.u32(16)).toBe(N);
    expect(env.dv().getUint16(OUT + (N - 1) * 32 + 8, true)).toBe(Errno.BADF);
  });
});
