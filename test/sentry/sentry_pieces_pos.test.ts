/**
 * fd_pwrite, fd_pread and sock_send larger than the channel's data area on
 * the sentry platform (kernel/platform/sentry_fast.ts): pieces of at most
 * the data area, at increasing offsets, through the same loop as fd_write
 * and fd_read (test/sentry/sentry_pieces.test.ts). Before, they took the
 * generic codec whole: the Sentry reassembled and decoded the whole call.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../kernel/errno.js';
import { Rights } from '../../kernel/abi/wasi.js';
import { AREA, BIG, env, fill, gathered, layout, measure32MiB, MiB, pattern, pipeOut, PLATFORMS, Probe, RW, spy } from '../support/pieces.js';
import { openPath } from '../kernel/syscalls/harness.js';

const POS = ['fd_pwrite', 'fd_pread'];
const AT = 1000n;

describe('fd_pwrite larger than the data area', () => {
  const sizes = [100_000, 0, 150_001, BIG - 250_001];

  it('5 data areas + 17 bytes at offset 1000 over several iovecs: the same count and file as inline, pieces at increasing offsets; the file offset stays', () => {
    const files: Uint8Array[] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const fd = openPath(e, 'big', 1 /* CREAT */);
      fill(e, layout(e, sizes), sizes, pattern(BIG));
      const seen = spy(e, POS);
      expect(e.sys.fd_pwrite(fd, 16, sizes.length, AT, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(BIG);
      expect(e.task.fds.file(fd).tell()).toBe(0n);
      files.push(e.task.fds.file(fd).pread(2 * BIG, 0n));
      if (platform === 'sentry') {
        expect(seen.map((s) => s.n)).toEqual([AREA, AREA, AREA, AREA, AREA, 17]);
        expect(seen.map((s) => s.offset)).toEqual([0, 1, 2, 3, 4, 5].map((i) => AT + BigInt(i * AREA)));
      } else expect(seen.map((s) => s.n)).toEqual([BIG]);
    }
    expect(files[0]!.length).toBe(Number(AT) + BIG);
    expect(Buffer.from(files[0]!.subarray(Number(AT))).equals(Buffer.from(pattern(BIG)))).toBe(true);
    expect(Buffer.from(files[1]!).equals(Buffer.from(files[0]!))).toBe(true);
  });

  it('errors keep their errno on both platforms: EBADF, EFAULT before any call, EINVAL for an offset over 2^63-1, ESPIPE on a pipe (one call)', () => {
    const got: number[][] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const fd = openPath(e, 'f', 1);
      layout(e, sizes);
      const seen = spy(e, POS);
      const out = pipeOut(e, 4 * AREA);
      e.task.fds.get(out.fd).rightsBase |= Rights.FD_SEEK;
      got.push([
        e.sys.fd_pwrite(77, 16, sizes.length, 0n, 8),
        e.sys.fd_pwrite(fd, 16, sizes.length, 0n, 0xffff_fffe),
        e.sys.fd_pwrite(fd, 16, sizes.length, -1n, 8),
        e.sys.fd_pwrite(out.fd, 16, sizes.length, 0n, 8),
        e.sys.fd_pread(0, 16, sizes.length, 0n, 8),
        seen.length,
      ]);
    }
    expect(got[1]).toEqual(got[0]);
    expect(got[0]!.slice(0, 5)).toEqual([Errno.BADF, Errno.FAULT, Errno.INVAL, Errno.SPIPE, Errno.SPIPE]);
    expect(got[0]![5]).toBe(4); // EFAULT made no call
  });
});

describe('fd_pread larger than the data area', () => {
  it('at offset 1000 over several iovecs, the file ending 3 data areas + 5 later: the same bytes and count as inline; later pieces never wait', () => {
    const sizes = [70_000, 0, 300_000, 5];
    const held = 3 * AREA + 5;
    const reads: Uint8Array[] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform);
      const fd = openPath(e, 'big', 1);
      e.task.fds.file(fd).pwrite(pattern(Number(AT) + held, 9), 0n);
      const ptrs = layout(e, sizes);
      const seen = spy(e, POS);
      expect(e.sys.fd_pread(fd, 16, sizes.length, AT, 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(held);
      expect(e.task.fds.file(fd).tell()).toBe(0n);
      reads.push(gathered(e, ptrs, sizes, held));
      if (platform === 'sentry') {
        expect(seen.map((s) => s.n)).toEqual([AREA, AREA, AREA, AREA]);
        expect(seen.map((s) => s.offset)).toEqual([0, 1, 2, 3].map((i) => AT + BigInt(i * AREA)));
        expect(seen.map((s) => s.noWait)).toEqual([false, true, true, true]);
      }
      // past the end: 0, one call
      expect(e.sys.fd_pread(fd, 16, sizes.length, AT + BigInt(held), 8)).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(0);
    }
    expect(Buffer.from(reads[0]!).equals(Buffer.from(pattern(Number(AT) + held, 9).subarray(Number(AT))))).toBe(true);
    expect(Buffer.from(reads[1]!).equals(Buffer.from(reads[0]!))).toBe(true);
  });
});

describe('sock_send larger than the data area', () => {
  it('32 MiB to a file that is not a socket: ENOTSOCK on both platforms, from one piece of at most the data area', () => {
    for (const platform of PLATFORMS) {
      const e = env(platform, 513);
      e.iovs(16, [[65536, 16 * MiB], [65536 + 16 * MiB, 16 * MiB]]);
      const seen = spy(e, ['sock_send']);
      expect(e.sys.sock_send(1, 16, 2, 0, 8)).toBe(Errno.NOTSOCK);
      expect(e.sys.sock_send(77, 16, 2, 0, 8)).toBe(Errno.BADF);
      expect(seen.map((s) => s.n)).toEqual(platform === 'sentry' ? [AREA, AREA] : [32 * MiB, 32 * MiB]);
    }
  });
});

describe('what the Sentry holds for one big positional call', () => {
  // As in sentry_pieces.test.ts: growth of `process.memoryUsage().arrayBuffers` inside the file
  // and after the call. Before pieces, a 32 MiB pwrite reached the file as one 32 MiB copy
  // decoded from the reassembled message.
  it('a 32 MiB pwrite and a 32 MiB pread at an offset: at most a data area per piece, under 4 data areas of new host memory', () => {
    const e = env('sentry', 513);
    const probe = new Probe();
    const fd = e.task.fds.insert(probe, RW | Rights.FD_SEEK, 0);
    e.iovs(16, [[65536, 16 * MiB], [65536 + 16 * MiB, 16 * MiB]]);
    const pwrite = measure32MiB(e, probe, () => e.sys.fd_pwrite(fd, 16, 2, 5n * BigInt(MiB), 8));
    const pread = measure32MiB(e, probe, () => e.sys.fd_pread(fd, 16, 2, 5n * BigInt(MiB), 8));
    console.log(`sentry_pieces_pos: 32 MiB pwrite: ${JSON.stringify(pwrite)}; 32 MiB pread: ${JSON.stringify(pread)} (bytes)`);
    for (const m of [pwrite, pread]) {
      expect(m.biggest).toBe(AREA);
      expect(m.peak).toBeLessThan(4 * AREA);
      expect(m.held).toBeLessThan(4 * AREA);
    }
  });
});
