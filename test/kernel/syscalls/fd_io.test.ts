import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { Rights } from '../../../kernel/abi/wasi.js';
import { PLATFORM, makeEnv, openPath } from './harness.js';
import { LoopbackParked } from '../../support/sentry_loopback.js';

describe('fd_write / fd_read', () => {
  it('fd_write gathers iovecs to the console', () => {
    const env = makeEnv();
    env.put(100, 'hello ');
    env.put(200, 'world\n');
    env.iovs(16, [[100, 6], [300, 0], [200, 6]]);
    expect(env.sys.fd_write(1, 16, 3, 8)).toBe(Errno.SUCCESS);
    expect(env.u32(8)).toBe(12);
    expect(env.stdout.text).toBe('hello world\n');
  });

  it('fd_read scatters stdin into iovecs and returns 0 at EOF', () => {
    const env = makeEnv({ stdin: 'abcdefg' });
    env.iovs(16, [[100, 3], [200, 10]]);
    expect(env.sys.fd_read(0, 16, 2, 8)).toBe(Errno.SUCCESS);
    expect(env.u32(8)).toBe(7);
    expect(env.get(100, 3)).toBe('abc');
    expect(env.get(200, 4)).toBe('defg');
    expect(env.sys.fd_read(0, 16, 2, 8)).toBe(Errno.SUCCESS);
    expect(env.u32(8)).toBe(0);
  });

  it('reading an empty pipe nobody else can fill is EDEADLK on one thread (sentry: parked), not a hang', () => {
    const env = makeEnv();
    env.iovs(16, [[100, 3]]);
    if (PLATFORM === 'sentry') expect(() => env.sys.fd_read(0, 16, 1, 8)).toThrow(LoopbackParked);
    else expect(env.sys.fd_read(0, 16, 1, 8)).toBe(Errno.DEADLK);
  });

  // inline only: the sentry platform never waits on the host inside a call
  it.skipIf(PLATFORM === 'sentry')('a pump that fails (host I/O error) makes the call fail with EIO and logs a bug', () => {
    const env = makeEnv();
    env.stdin.readQueue.syncPump = () => {
      throw new Error('host stdin exploded');
    };
    env.iovs(16, [[100, 3]]);
    expect(env.sys.fd_read(0, 16, 1, 8)).toBe(Errno.IO);
    expect(env.host.bugs.map((b) => b.message)).toEqual(['fd_read: waiting failed']);
  });

  it('fd_read on a write-only console is EBADF; fd_write on stdin is EBADF', () => {
    const env = makeEnv();
    env.iovs(16, [[100, 3]]);
    expect(env.sys.fd_read(1, 16, 1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_write(0, 16, 1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_write(77, 16, 1, 8)).toBe(Errno.BADF);
  });

  it('closing fd 1 closes only the task reference', () => {
    const env = makeEnv();
    expect(env.sys.fd_close(1)).toBe(Errno.SUCCESS);
    env.put(100, 'x');
    env.iovs(16, [[100, 1]]);
    expect(env.sys.fd_write(1, 16, 1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_close(1)).toBe(Errno.BADF);
    expect(env.sys.fd_write(2, 16, 1, 8)).toBe(Errno.SUCCESS);
    expect(env.stderr.text).toBe('x');
  });

  it('files: write, seek, tell, pread, pwrite, read back', () => {
    const env = makeEnv();
    const fd = openPath(env, 'f.txt', 1 /* CREAT */);
    env.put(100, '0123456789');
    env.iovs(16, [[100, 10]]);
    expect(env.sys.fd_write(fd, 16, 1, 8)).toBe(0);
    expect(env.sys.fd_tell(fd, 8)).toBe(0);
    expect(env.u64(8)).toBe(10n);
    expect(env.sys.fd_seek(fd, -4n, 1, 8)).toBe(0);
    expect(env.u64(8)).toBe(6n);
    expect(env.sys.fd_seek(fd, -100n, 1, 8)).toBe(Errno.INVAL);
    expect(env.sys.fd_seek(fd, 0n, 7, 8)).toBe(Errno.INVAL);
    env.iovs(16, [[200, 10]]);
    expect(env.sys.fd_read(fd, 16, 1, 8)).toBe(0);
    expect(env.get(200, env.u32(8))).toBe('6789');
    expect(env.sys.fd_pread(fd, 16, 1, 2n, 8)).toBe(0);
    expect(env.get(200, env.u32(8))).toBe('23456789');
    env.put(300, 'AB');
    env.iovs(32, [[300, 2]]);
    expect(env.sys.fd_pwrite(fd, 32, 1, 1n, 8)).toBe(0);
    expect(env.u32(8)).toBe(2);
    expect(env.sys.fd_pread(fd, 16, 1, 0n, 8)).toBe(0);
    expect(env.get(200, env.u32(8))).toBe('0AB3456789');
    expect(env.sys.fd_sync(fd)).toBe(0);
    expect(env.sys.fd_datasync(fd)).toBe(0);
    expect(env.sys.fd_close(fd)).toBe(0);
  });

  it('seek on a pipe is ESPIPE; pread on a pipe is ESPIPE', () => {
    const env = makeEnv({ stdin: 'x' });
    expect(env.sys.fd_seek(0, 1n, 0, 8)).toBe(Errno.SPIPE);
    env.iovs(16, [[100, 1]]);
    expect(env.sys.fd_pread(0, 16, 1, 0n, 8)).toBe(Errno.SPIPE);
  });

  it('fd_advise validates advice and refuses pipes; fd_allocate grows a file', () => {
    const env = makeEnv();
    const fd = openPath(env, 'a', 1);
    expect(env.sys.fd_advise(fd, 0n, 100n, 1)).toBe(0);
    expect(env.sys.fd_advise(fd, 0n, 100n, 9)).toBe(Errno.INVAL);
    expect(env.sys.fd_advise(0, 0n, 100n, 0)).toBe(Errno.SPIPE);
    expect(env.sys.fd_allocate(fd, 0n, 0n)).toBe(Errno.INVAL);
    expect(env.sys.fd_allocate(fd, 10n, 90n)).toBe(0);
    expect(env.sys.fd_filestat_get(fd, 64)).toBe(0);
    expect(env.u64(64 + 32)).toBe(100n);
  });

  it('fd_renumber: dup2 onto an open fd, EBADF onto a closed one (rust/renumber), stdio may move away and back', () => {
    const env = makeEnv();
    env.put(100, 'y');
    env.iovs(16, [[100, 1]]);
    const file = openPath(env, 'f', 1);
    expect(env.sys.fd_renumber(1, 9)).toBe(Errno.BADF); // 9 was never open: nothing moves
    expect(env.sys.fd_renumber(file, 9)).toBe(Errno.BADF);
    expect(env.sys.fd_write(1, 16, 1, 8)).toBe(0);
    expect(env.stdout.text).toBe('y');
    expect(env.sys.fd_renumber(1, file)).toBe(0); // onto an open fd: it is closed first (freopen)
    expect(env.sys.fd_write(1, 16, 1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_write(file, 16, 1, 8)).toBe(0);
    expect(env.stdout.text).toBe('yy');
    expect(env.sys.fd_renumber(file, 1)).toBe(0); // onto the closed fd 1: stdio comes back (yosys)
    expect(env.sys.fd_write(1, 16, 1, 8)).toBe(0);
    expect(env.stdout.text).toBe('yyy');
    expect(env.sys.fd_close(file)).toBe(Errno.BADF);
    expect(env.sys.fd_renumber(1, 2)).toBe(0); // replaces stderr
    expect(env.sys.fd_write(2, 16, 1, 8)).toBe(0);
    expect(env.stdout.text).toBe('yyyy');
    expect(env.stderr.text).toBe('');
    expect(env.sys.fd_renumber(2, 2)).toBe(0);
    expect(env.sys.fd_renumber(42, 2)).toBe(Errno.BADF);
    expect(env.task.fds.count).toBe(3); // 0, 2, 3
  });

  it('rights: a read-only fd refuses writes with EBADF, a fd without FD_SEEK is ENOTCAPABLE', () => {
    const env = makeEnv();
    const rw = openPath(env, 'r', 1);
    expect(env.sys.fd_close(rw)).toBe(0);
    const ro = openPath(env, 'r', 0, 0, BigInt(Rights.FD_READ | Rights.FD_TELL));
    env.iovs(16, [[100, 1]]);
    expect(env.sys.fd_write(ro, 16, 1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_seek(ro, 1n, 0, 8)).toBe(Errno.NOTCAPABLE);
    expect(env.sys.fd_seek(ro, 0n, 1, 8)).toBe(0); // tell-only seek
  });
});
