/**
 * fd_write and fd_read larger than the channel's data area on the sentry
 * platform (kernel/platform/sentry_fast.ts): they cross as fixed-layout
 * calls of at most the data area each, so the Sentry (shared by every
 * container) never holds more than a piece of one call. Before, such a call
 * took the generic codec in chunks: the Sentry reassembled the whole
 * message, decoded a copy and the file copied it again (a 2 GiB write cost
 * it about 4 GiB, charged to no one).
 *
 * Both platforms run through the syscall harness (`makeEnv({ platform })`,
 * the sentry one over a loopback channel with the default 64 KiB area); the
 * dispatcher's filter hook sees each call the kernel runs, so the pieces
 * can be counted.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../kernel/errno.js';
import { TaskExit } from '../../kernel/task/exit.js';
import { FdFlags } from '../../kernel/vfs/types.js';
import { LoopbackParked } from '../support/sentry_loopback.js';
import { AREA, BIG, env, fill, gathered, KiB, layout, measure32MiB, MiB, pattern, pipeOut, PLATFORMS, Probe, RW, spy } from '../support/pieces.js';
import { makeEnv, openPath } from '../kernel/syscalls/harness.js';

describe('fd_write larger than the data area', () => {
  const sizes = [100_000, 0, 150_001, BIG - 250_001];

  it('5 data areas + 17 bytes over several iovecs: the same count and bytes as inline, in fixed pieces of at most the data area', () => {
    const files: Uint8Array[] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const fd = openPath(e, 'big', 1 /* CREAT */);
      fill(e, layout(e, sizes), sizes, pattern(BIG));
      const seen = spy(e);
      expect(e.sys.fd_write(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(BIG);
      files.push(e.task.fds.file(fd).pread(2 * BIG, 0n));
      if (platform === 'sentry') expect(seen.map((s) => s.n)).toEqual([AREA, AREA, AREA, AREA, AREA, 17]);
      else expect(seen.map((s) => s.n)).toEqual([BIG]);
    }
    expect(files[0]!.length).toBe(BIG);
    expect(Buffer.from(files[1]!).equals(Buffer.from(files[0]!))).toBe(true);
    expect(Buffer.from(files[0]!).equals(Buffer.from(pattern(BIG)))).toBe(true);
  });

  it('errors before any piece keep their errno and order (EBADF; EFAULT before any call)', () => {
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const seen = spy(e);
      layout(e, sizes);
      expect(e.sys.fd_write(77, 16, sizes.length, 8)).toBe(Errno.BADF);
      expect(e.sys.fd_write(1, 16, sizes.length, 0xffff_fffe)).toBe(Errno.FAULT);
      e.iovs(16, [[65536, 100_000], [e.mem.size - 10, 11]]);
      expect(e.sys.fd_write(1, 16, 2, 8)).toBe(Errno.FAULT);
      expect(seen.length).toBe(1); // the EBADF call only
    }
  });

  it('into a pipe whose reader goes away after two pieces: the partial count, then EPIPE', () => {
    let stuck = 0;
    let out: ReturnType<typeof pipeOut>;
    const e = env('sentry', 16, () => {
      // the world outside while a piece waits for room: drain once, then close the reader
      if (++stuck === 1) out.reader.read(AREA);
      else out.reader.release();
      return true;
    });
    out = pipeOut(e, AREA);
    layout(e, sizes);
    const seen = spy(e);
    expect(e.sys.fd_write(out.fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
    expect(e.u32(8)).toBe(2 * AREA);
    // pieces 2 and 3 each parked once (the filter sees the attempt and its retry)
    expect(seen.map((s) => s.n)).toEqual([AREA, AREA, AREA, AREA, AREA]);
    expect(e.sys.fd_write(out.fd, 16, sizes.length, 8)).toBe(Errno.PIPE);
  });

  it('non-blocking into a nearly full pipe: the partial count (a short piece, or a piece that would block after data), then EAGAIN, as inline', () => {
    // free room: less than a piece; exactly one piece; one piece and a bit
    for (const free of [1000, AREA, AREA + 1000]) {
      const got: number[][] = [];
      for (const platform of PLATFORMS) {
        const e = env(platform);
        const out = pipeOut(e, 4 * AREA, true);
        out.pipe.hostWrite(new Uint8Array(4 * AREA - free));
        layout(e, sizes);
        const r: number[] = [e.sys.fd_write(out.fd, 16, sizes.length, 8), e.u32(8)];
        r.push(e.sys.fd_write(out.fd, 16, sizes.length, 8), out.pipe.size);
        got.push(r);
      }
      expect(got[0]).toEqual([Errno.SUCCESS, free, Errno.AGAIN, 4 * AREA]);
      expect(got[1], `free ${free}`).toEqual(got[0]);
    }
  });

  it('a task killed during a later piece unwinds with TaskExit (no count returned)', () => {
    const e = env('sentry');
    layout(e, sizes);
    let n = 0;
    e.kernel.dispatcher.filter = (_t, entry) => (entry.name === 'fd_write' && ++n === 3 ? { kill: 9 } : undefined);
    expect(() => e.sys.fd_write(1, 16, sizes.length, 8)).toThrow(TaskExit);
    expect(n).toBe(3);
  });
});

describe('under --strace', () => {
  it('big writes and reads (several iovecs, at an offset, failing) go in pieces and print one line each, the inline platform\'s', () => {
    const lines: string[][] = [];
    const sizes = [100_000, 5, BIG - 100_005];
    for (const platform of PLATFORMS) {
      const e = makeEnv({ platform, trace: true });
      e.memory.grow(16);
      const seen = spy(e, ['fd_write', 'fd_read', 'fd_pwrite', 'fd_pread']);
      const fd = openPath(e, 'big', 1);
      fill(e, layout(e, sizes), sizes, pattern(BIG));
      expect(e.sys.fd_write(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.sys.fd_pwrite(fd, 16, sizes.length, 1000n, 8)).toBe(Errno.SUCCESS);
      expect(e.sys.fd_seek(fd, 0n, 0, 8)).toBe(Errno.SUCCESS);
      expect(e.sys.fd_read(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(BIG);
      expect(e.sys.fd_pread(fd, 16, sizes.length, 3n, 8)).toBe(Errno.SUCCESS);
      expect(e.sys.fd_read(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(1000);
      expect(e.sys.fd_write(77, 16, sizes.length, 8)).toBe(Errno.BADF);
      expect(e.sys.fd_write(fd, 16, sizes.length, 0xffff_fffe)).toBe(Errno.FAULT);
      const ns = seen.map((s) => s.n);
      if (platform === 'sentry') expect(Math.max(...ns)).toBe(AREA);
      else expect(ns).toEqual([BIG, BIG, BIG, BIG, BIG, BIG]);
      lines.push(e.strace.filter((l) => /fd_p?(read|write)/.test(l)).map((l) => l.replace(/<[^>]*>\s*$/, '')));
    }
    expect(lines[0]!.length).toBe(7);
    expect(lines[1]).toEqual(lines[0]);
  });

  it('a big random_get: one line, pieces on the sentry platform', () => {
    const e = makeEnv({ platform: 'sentry', trace: true });
    e.memory.grow(16);
    let n = 0;
    e.kernel.dispatcher.filter = (_t, entry) => { if (entry.name === 'random_get') n++; return undefined; };
    expect(e.sys.random_get(65536, 5 * AREA)).toBe(Errno.SUCCESS);
    expect(n).toBe(5);
    expect(e.strace.filter((l) => /random_get/.test(l)).length).toBe(1);
  });
});

describe('fd_read larger than the data area', () => {
  it('a file of 5 data areas + 17 bytes over several iovecs: the same bytes and count as inline; later pieces never wait', () => {
    const sizes = [70_000, 0, 300_000, 5];
    const reads: Uint8Array[] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const fd = openPath(e, 'big', 1 /* CREAT */);
      e.task.fds.file(fd).pwrite(pattern(BIG, 9), 0n);
      const ptrs = layout(e, sizes);
      const seen = spy(e);
      expect(e.sys.fd_read(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(BIG);
      reads.push(gathered(e, ptrs, sizes, BIG));
      if (platform === 'sentry') {
        expect(seen.map((s) => s.n)).toEqual([AREA, AREA, AREA, AREA, AREA, 370_005 - 5 * AREA]);
        expect(seen.map((s) => s.noWait)).toEqual([false, true, true, true, true, true]);
      }
      // at EOF: 0, one call
      expect(e.sys.fd_read(fd, 16, sizes.length, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(0);
    }
    expect(Buffer.from(reads[0]!).equals(Buffer.from(pattern(BIG, 9)))).toBe(true);
    expect(Buffer.from(reads[1]!).equals(Buffer.from(reads[0]!))).toBe(true);
  });

  it('a file of exactly two data areas: the third piece reads EOF (0) and ends the call', () => {
    const e = env('sentry');
    const fd = openPath(e, 'two', 1);
    e.task.fds.file(fd).pwrite(pattern(2 * AREA), 0n);
    layout(e, [300 * KiB]);
    const seen = spy(e);
    expect(e.sys.fd_read(fd, 16, 1, 8)).toBe(Errno.SUCCESS);
    expect(e.u32(8)).toBe(2 * AREA);
    expect(seen.length).toBe(3);
  });

  it('a pipe holding 100 KiB (or exactly two data areas) with 300 KiB asked: what it holds, without blocking, as inline; the next read waits', () => {
    for (const held of [100 * KiB, 2 * AREA]) {
      for (const platform of PLATFORMS) {
        const e = env(platform);
        e.stdin.hostWrite(pattern(held, 3)); // the host writer stays open: an empty pipe would block
        const ptrs = layout(e, [300 * KiB]);
        expect(e.sys.fd_read(0, 16, 1, 8), `${platform} ${held}`).toBe(Errno.SUCCESS);
        expect(e.u32(8)).toBe(held);
        expect(Buffer.from(gathered(e, ptrs, [300 * KiB], held)).equals(Buffer.from(pattern(held, 3)))).toBe(true);
        expect(e.stdin.size).toBe(0);
        // nothing left: the first piece of the next call waits, and so does a small read (the
        // flag word of the last piece does not stay set); inline: no one could fill it, EDEADLK
        e.iovs(32, [[ptrs[0]!, 100]]);
        for (const iovs of [16, 32]) {
          if (platform === 'sentry') expect(() => e.sys.fd_read(0, iovs, 1, 8)).toThrow(LoopbackParked);
          else expect(e.sys.fd_read(0, iovs, 1, 8)).toBe(Errno.DEADLK);
        }
      }
    }
  });

  it('an empty pipe: the first piece waits, then the call returns what came (one piece\'s worth, no more waiting)', () => {
    let fed = false;
    const e = env('sentry', 16, () => {
      if (fed) return false;
      fed = true;
      e.stdin.hostWrite(pattern(AREA + 5));
      return true;
    });
    layout(e, [300 * KiB]);
    const seen = spy(e);
    expect(e.sys.fd_read(0, 16, 1, 8)).toBe(Errno.SUCCESS);
    expect(e.u32(8)).toBe(AREA + 5);
    expect(seen.map((s) => s.noWait)).toEqual([false, false, true]); // the first piece tried twice (parked, retried)
  });

  it('a failure after data returns the data; before, the errno (EBADF, non-blocking EAGAIN)', () => {
    const e = env('sentry');
    layout(e, [300 * KiB]);
    expect(e.sys.fd_read(77, 16, 1, 8)).toBe(Errno.BADF);
    e.task.fds.file(0).fdflags = FdFlags.NONBLOCK;
    expect(e.sys.fd_read(0, 16, 1, 8)).toBe(Errno.AGAIN);
    e.stdin.hostWrite(pattern(AREA));
    expect(e.sys.fd_read(0, 16, 1, 8)).toBe(Errno.SUCCESS);
    expect(e.u32(8)).toBe(AREA);
  });
});

describe('what the Sentry holds for one big call', () => {
  // Measured as the growth of the process's ArrayBuffer memory (`process.memoryUsage()
  // .arrayBuffers`) over its value just before the call: inside the file (the Sentry's side,
  // while the call runs) and after the call (what stays; loopback: both ends in this process).
  // A garbage collection can only lower these figures. Before pieces, a 32 MiB write reached
  // the file as one decoded 32 MiB copy with the reassembled message still held (growth seen
  // in the file: 181,752,850 bytes, 5.4 times the write), and a 32 MiB read made the file
  // produce all of it at once. Now each piece is at most the data area, handed over as a view
  // of it.
  it('a 32 MiB write and a 32 MiB read: at most a data area per piece, and under 4 data areas of new host memory', () => {
    const e = env('sentry', 513);
    const probe = new Probe();
    const fd = e.task.fds.insert(probe, RW, 0);
    e.iovs(16, [[65536, 16 * MiB], [65536 + 16 * MiB, 16 * MiB]]);
    const write = measure32MiB(e, probe, () => e.sys.fd_write(fd, 16, 2, 8));
    const read = measure32MiB(e, probe, () => e.sys.fd_read(fd, 16, 2, 8));
    console.log(`sentry_pieces: 32 MiB write: ${JSON.stringify(write)}; 32 MiB read: ${JSON.stringify(read)} (bytes)`);
    for (const m of [write, read]) {
      expect(m.biggest).toBe(AREA);
      expect(m.peak).toBeLessThan(4 * AREA);
      expect(m.held).toBeLessThan(4 * AREA);
    }
  });
});
