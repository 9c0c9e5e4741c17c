/**
 * Calls whose answer or request a guest can make big besides the iovec
 * calls (test/sentry/sentry_pieces*.test.ts): fd_readdir with a big buffer
 * goes in pieces of a data area's worth of buffer on the sentry platform
 * (kernel/platform/sentry_fast.ts); poll_oneoff is bounded at
 * MAX_SUBSCRIPTIONS (kernel/abi/calls_misc.ts), EINVAL past it on both
 * platforms.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../kernel/errno.js';
import { DIR_REQUEST, makeEnv, openPath, type Env } from '../kernel/syscalls/harness.js';
import { AREA, env, MiB, PLATFORMS } from '../support/pieces.js';

/** A directory `d` under fd 3 holding `n` entries with names of 200 bytes; returns its fd. */
function bigDir(e: Env, n: number): number {
  const name = (i: number) => `d/${String(i).padStart(6, '0')}${'x'.repeat(194)}`;
  const len0 = e.put(1000, 'd');
  expect(e.sys.path_create_directory(3, 1000, len0)).toBe(Errno.SUCCESS);
  for (let i = 0; i < n; i++) {
    const len = e.put(1000, name(i));
    expect(e.sys.path_create_directory(3, 1000, len)).toBe(Errno.SUCCESS);
  }
  return openPath(e, 'd', 2 /* DIRECTORY */, 0, DIR_REQUEST);
}

/** The buffer sizes each fd_readdir the kernel runs is asked for. */
function readdirSpy(e: Env): number[] {
  const seen: number[] = [];
  e.kernel.dispatcher.filter = (_t, entry, args) => {
    if (entry.name === 'fd_readdir') seen.push((args as { bufLen: number }).bufLen);
    return undefined;
  };
  return seen;
}

describe('fd_readdir with a buffer bigger than the data area', () => {
  const N = 3000; // 3002 entries of 24 + 200 bytes: about 660 KB
  const BUF = 0x20000;

  it('the whole directory into 1 MiB, and a cut into 300,000 bytes: the same bytes and bufused as inline, in calls of at most a data area of buffer', () => {
    for (const len of [MiB, 300_000]) {
      const got: Uint8Array[] = [];
      const used: number[] = [];
      for (const platform of PLATFORMS) {
        const e = env(platform, 32);
        const d = bigDir(e, N);
        const seen = readdirSpy(e);
        e.u8().fill(0xee, BUF, BUF + len);
        expect(e.sys.fd_readdir(d, BUF, len, 0n, 8)).toBe(Errno.SUCCESS);
        used.push(e.u32(8));
        got.push(e.u8().slice(BUF, BUF + len));
        if (platform === 'sentry') {
          expect(Math.max(...seen)).toBe(AREA);
          // each call answers about a data area of entries: the pieces cover what inline wrote
          expect(seen.length).toBeGreaterThanOrEqual(Math.floor(used[0]! / (AREA + 224)));
        } else expect(seen).toEqual([len]);
      }
      expect(used[1], `${len}`).toBe(used[0]);
      expect(used[0]).toBe(len === MiB ? (N + 2) * 24 + N * 200 + 1 + 2 : len);
      expect(Buffer.from(got[1]!).equals(Buffer.from(got[0]!))).toBe(true);
    }
  });

  it('under --strace: one line per call, the inline platform\'s, while the calls still go in pieces', () => {
    const lines: string[][] = [];
    for (const platform of PLATFORMS) {
      const e = makeEnv({ platform, trace: true });
      e.memory.grow(32);
      const d = bigDir(e, N);
      const seen = readdirSpy(e);
      for (const len of [MiB, 300_000, 4096]) expect(e.sys.fd_readdir(d, BUF, len, 0n, 8)).toBe(Errno.SUCCESS);
      expect(e.sys.fd_readdir(77, BUF, MiB, 0n, 8)).toBe(Errno.BADF);
      if (platform === 'sentry') expect(Math.max(...seen)).toBe(AREA);
      lines.push(e.strace.filter((l) => /fd_readdir/.test(l)).map((l) => l.replace(/<[^>]*>\s*$/, '')));
    }
    expect(lines[0]!.length).toBe(4);
    expect(lines[1]).toEqual(lines[0]);
  });

  it('errors before any entry keep their errno on both platforms (EBADF, EFAULT, ENOTDIR)', () => {
    const got: number[][] = [];
    for (const platform of PLATFORMS) {
      const e = env(platform, 32);
      const f = openPath(e, 'f', 1);
      got.push([
        e.sys.fd_readdir(77, BUF, MiB, 0n, 8),
        e.sys.fd_readdir(3, BUF, MiB, 0n, 0xffff_fffe),
        e.sys.fd_readdir(3, e.mem.size - 100, MiB, 0n, 8),
        e.sys.fd_readdir(f, BUF, MiB, 0n, 8),
      ]);
    }
    expect(got[0]).toEqual([Errno.BADF, Errno.FAULT, Errno.FAULT, Errno.NOTDIR]);
    expect(got[1]).toEqual(got[0]);
  });
});

describe('poll_oneoff subscription count', () => {
  it('8,192 subscriptions run; 8,193 are EINVAL before any pointer is read, on both platforms', () => {
    for (const platform of PLATFORMS) {
      const e = env(platform, 32);
      const SUBS = 0x10000;
      const OUT = SUBS + 48 * 8193;
      for (let i = 0; i < 8192; i++) {
        const p = SUBS + i * 48;
        e.dv().setBigUint64(p, BigInt(i), true);
        e.dv().setUint8(p + 8, 0); // CLOCK
        e.dv().setUint32(p + 16, 1, true); // MONOTONIC, timeout 0: due at once
      }
      expect(e.sys.poll_oneoff(SUBS, OUT, 8192, 8), platform).toBe(Errno.SUCCESS);
      expect(e.u32(8)).toBe(8192);
      expect(e.sys.poll_oneoff(SUBS, OUT, 8193, 8), platform).toBe(Errno.INVAL);
      expect(e.sys.poll_oneoff(0xffff_fff0, 0xffff_fff0, 8193, 0xffff_fff0), platform).toBe(Errno.INVAL);
    }
  });
});
