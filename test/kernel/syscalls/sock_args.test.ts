import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { makeEnv } from './harness.js';

describe('sock_*', () => {
  it('non-sockets are ENOTSOCK, bad fds EBADF', () => {
    const env = makeEnv();
    env.iovs(16, [[100, 4]]);
    for (const fd of [0, 1, 3]) {
      expect(env.sys.sock_accept(fd, 0, 8)).toBe(Errno.NOTSOCK);
      expect(env.sys.sock_recv(fd, 16, 1, 0, 8, 12)).toBe(Errno.NOTSOCK);
      expect(env.sys.sock_send(fd, 16, 1, 0, 8)).toBe(Errno.NOTSOCK);
      expect(env.sys.sock_shutdown(fd, 3)).toBe(Errno.NOTSOCK);
    }
    expect(env.sys.sock_accept(42, 0, 8)).toBe(Errno.BADF);
    expect(env.sys.sock_recv(42, 16, 1, 0, 8, 12)).toBe(Errno.BADF);
    expect(env.sys.sock_send(42, 16, 1, 0, 8)).toBe(Errno.BADF);
    expect(env.sys.sock_shutdown(42, 1)).toBe(Errno.BADF);
    expect(env.sys.sock_recv(0, 16, 1, 0, 8, 65535)).toBe(Errno.FAULT);
  });
});

describe('args and environ', () => {
  it('sizes and contents, NUL-terminated, UTF-8', () => {
    const env = makeEnv({ args: ['prog', 'é', ''], env: ['A=1', 'B=ü'] });
    expect(env.sys.args_sizes_get(8, 12)).toBe(0);
    expect([env.u32(8), env.u32(12)]).toEqual([3, 5 + 3 + 1]);
    expect(env.sys.args_get(100, 200)).toBe(0);
    const ptrs = [env.u32(100), env.u32(104), env.u32(108)];
    expect(ptrs).toEqual([200, 205, 208]);
    expect(env.get(200, 9)).toBe('prog\0é\0\0');
    expect(env.sys.environ_sizes_get(8, 12)).toBe(0);
    expect([env.u32(8), env.u32(12)]).toEqual([2, 4 + 5]);
    expect(env.sys.environ_get(100, 200)).toBe(0);
    expect(env.get(env.u32(104), 4)).toBe('B=ü');
  });

  it('out-of-bounds buffers are EFAULT', () => {
    const env = makeEnv({ args: ['prog', 'x'.repeat(100)] });
    expect(env.sys.args_get(100, 65500)).toBe(Errno.FAULT);
    expect(env.sys.args_get(65534, 200)).toBe(Errno.FAULT);
    expect(env.sys.args_sizes_get(65533, 8)).toBe(Errno.FAULT);
    expect(env.sys.environ_sizes_get(8, -1)).toBe(Errno.FAULT);
    expect(env.sys.environ_get(-4, 0)).toBe(0); // no variables: nothing is written
  });
});
