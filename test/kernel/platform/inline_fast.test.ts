import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { CHUNK } from '../../../kernel/fs/tmpfs_data.js';
import { installInlineFastPaths } from '../../../kernel/platform/inline_fast.js';
import { makeEnv, openPath, type Env } from '../syscalls/harness.js';

type Sys = (...raw: (number | bigint)[]) => number;

/** The generic fd_read and fd_write of `env` with the inline fast paths built on top of them. */
function fastImports(env: Env): { fd_read: Sys; fd_write: Sys } {
  const ns: Record<string, Sys> = { fd_read: env.sys.fd_read!, fd_write: env.sys.fd_write! };
  const ctx = { memory: env.mem, host: env.host, pid: env.task.pid, invoke: () => { throw new Error('unused'); } };
  installInlineFastPaths(ns as never, ctx, env.kernel.dispatcher, env.task);
  expect(ns.fd_read).not.toBe(env.sys.fd_read);
  expect(ns.fd_write).not.toBe(env.sys.fd_write);
  return ns as { fd_read: Sys; fd_write: Sys };
}

function fastRead(env: Env): Sys {
  return fastImports(env).fd_read;
}

const IOV = 100;
const RET = 120;
const BUF = 4096;

/** A file of `size` bytes with a position-dependent pattern, opened twice: [generic fd, fast fd]. */
function twoFds(env: Env, size: number): [number, number] {
  const w = openPath(env, 'f', 1 /* CREAT */);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  env.task.fds.file(w).write(data);
  return [openPath(env, 'f'), openPath(env, 'f')];
}

/** One fd_read of `len` bytes at BUF through `call`: errno, nread, the bytes. */
function readOnce(env: Env, call: Sys, fd: number, len: number) {
  env.u8().fill(0xee, BUF, BUF + len);
  env.iovs(IOV, [[BUF, len]]);
  env.dv().setUint32(RET, 0xdead, true);
  const errno = call(fd, IOV, 1, RET);
  return { errno, n: env.u32(RET), bytes: env.u8().slice(BUF, BUF + len) };
}

describe('inline fast fd_read', () => {
  it('reads the same bytes as the generic path, across chunk boundaries and to EOF', () => {
    const env = makeEnv();
    env.memory.grow(8);
    const fast = fastRead(env);
    const size = CHUNK + 70_000;
    const [g, f] = twoFds(env, size);
    const attempt = env.kernel.dispatcher.attempt.bind(env.kernel.dispatcher);
    let dispatched = 0;
    env.kernel.dispatcher.attempt = (...a) => { dispatched++; return attempt(...a); };
    let total = 0;
    for (const len of [0, 1, 1000, 65_536, CHUNK, 200_000, 65_536, 65_536]) {
      const a = readOnce(env, env.sys.fd_read!, g, len);
      const b = readOnce(env, fast, f, len);
      expect(b.errno).toBe(Errno.SUCCESS);
      expect([b.errno, b.n]).toEqual([a.errno, a.n]);
      expect(Buffer.compare(b.bytes, a.bytes)).toBe(0);
      total += b.n;
    }
    expect(total).toBe(size);
    expect(dispatched).toBe(8); // the generic reads only: the fast path calls the file directly
    expect(env.task.fds.file(f).tell()).toBe(BigInt(size));
  });

  it('bad pointers are EFAULT before anything is read; bad fds and counts as the generic path', () => {
    const env = makeEnv();
    const fast = fastRead(env);
    const [, f] = twoFds(env, 10);
    const end = env.mem.size;
    env.iovs(IOV, [[BUF, 4]]);
    expect(fast(f, end - 4, 1, RET)).toBe(Errno.FAULT); // iovec array outside memory
    expect(fast(f, IOV, 1, end - 2)).toBe(Errno.FAULT); // nread outside memory
    expect(fast(f, -8, 1, RET)).toBe(Errno.FAULT);
    env.iovs(IOV, [[end - 2, 4]]);
    expect(fast(f, IOV, 1, RET)).toBe(Errno.FAULT); // buffer past the end
    env.iovs(IOV, [[0xffff_fff0, 0x20]]);
    expect(fast(f, IOV, 1, RET)).toBe(Errno.FAULT); // u32 wrap
    expect(env.task.fds.file(f).tell()).toBe(0n); // nothing was read
    env.iovs(IOV, [[BUF, 4]]);
    expect(fast(99, IOV, 1, RET)).toBe(Errno.BADF);
    expect(fast(3, IOV, 1, RET)).toBe(env.sys.fd_read!(3, IOV, 1, RET)); // a directory: generic path
    expect(fast(f, IOV, 1025, RET)).toBe(Errno.INVAL); // more than IOV_MAX: generic path
    const wo = openPath(env, 'f', 0, 0, 1n << 6n); // FD_WRITE only
    expect(fast(wo, IOV, 1, RET)).toBe(env.sys.fd_read!(wo, IOV, 1, RET));
    expect(fast(wo, IOV, 1, RET)).not.toBe(Errno.SUCCESS);
  });

  it('pipes, several iovecs and an installed filter take the generic path', () => {
    const env = makeEnv({ stdin: 'hello' });
    const fast = fastRead(env);
    env.iovs(IOV, [[BUF, 2], [BUF + 10, 10]]);
    expect(fast(0, IOV, 2, RET)).toBe(Errno.SUCCESS);
    expect(env.u32(RET)).toBe(5);
    expect(env.get(BUF, 2) + env.get(BUF + 10, 3)).toBe('hello');
    const [, f] = twoFds(env, 10);
    env.kernel.dispatcher.filter = (_t, e) => (e.name === 'fd_read' ? { deny: { errno: Errno.PERM } as never } : undefined);
    env.iovs(IOV, [[BUF, 4]]);
    expect(fast(f, IOV, 1, RET)).toBe(Errno.PERM);
  });
});

describe('inline fast fd_write', () => {
  it('writes what the generic path writes; bad pointers are EFAULT with nothing written', () => {
    const env = makeEnv();
    const { fd_write: fast } = fastImports(env);
    const a = openPath(env, 'a', 1 /* CREAT */);
    const b = openPath(env, 'b', 1 /* CREAT */);
    for (const text of ['hello', '', 'x'.repeat(70_000).slice(0, 60_000), 'end']) {
      const n = env.put(BUF, text);
      env.iovs(IOV, [[BUF, n]]);
      expect(env.sys.fd_write!(a, IOV, 1, RET)).toBe(Errno.SUCCESS);
      const ga = env.u32(RET);
      env.dv().setUint32(RET, 0xdead, true);
      expect(fast(b, IOV, 1, RET)).toBe(Errno.SUCCESS);
      expect(env.u32(RET)).toBe(ga);
    }
    const end = env.mem.size;
    env.iovs(IOV, [[end - 2, 4]]);
    expect(fast(b, IOV, 1, RET)).toBe(Errno.FAULT);
    env.iovs(IOV, [[BUF, 4]]);
    expect(fast(b, IOV, 1, end - 3)).toBe(Errno.FAULT);
    expect(fast(b, end - 4, 1, RET)).toBe(Errno.FAULT);
    expect(env.task.fds.file(b).tell()).toBe(env.task.fds.file(a).tell());
    const sa = env.task.fds.file(a).stat().size;
    expect(env.task.fds.file(b).stat().size).toBe(sa);
    expect(fast(99, IOV, 1, RET)).toBe(Errno.BADF);
    const ro = openPath(env, 'a', 0, 0, 1n << 1n); // FD_READ only
    expect(fast(ro, IOV, 1, RET)).toBe(env.sys.fd_write!(ro, IOV, 1, RET));
    expect(fast(ro, IOV, 1, RET)).not.toBe(Errno.SUCCESS);
  });

  it('stdout, several iovecs and a filter', () => {
    const env = makeEnv();
    const { fd_write: fast } = fastImports(env);
    env.put(BUF, 'hi ');
    env.put(BUF + 10, 'there\n');
    env.iovs(IOV, [[BUF, 3]]);
    expect(fast(1, IOV, 1, RET)).toBe(Errno.SUCCESS);
    env.iovs(IOV, [[BUF, 3], [BUF + 10, 6]]);
    expect(fast(1, IOV, 2, RET)).toBe(Errno.SUCCESS);
    expect(env.u32(RET)).toBe(9);
    expect(env.stdout.text).toBe('hi hi there\n');
    env.kernel.dispatcher.filter = (_t, e) => (e.name === 'fd_write' ? { deny: { errno: Errno.PERM } as never } : undefined);
    env.iovs(IOV, [[BUF, 3]]);
    expect(fast(1, IOV, 1, RET)).toBe(Errno.PERM);
    expect(env.stdout.text).toBe('hi hi there\n');
  });
});
