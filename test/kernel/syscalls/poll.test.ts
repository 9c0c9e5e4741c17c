import { describe, expect, it } from 'vitest';
import { MAX_SUBSCRIPTIONS } from '../../../kernel/abi/calls_misc.js';
import { Errno } from '../../../kernel/errno.js';
import { makeEnv, type Env } from './harness.js';

const SUB = 48;
const EV = 32;

function clockSub(env: Env, at: number, userdata: bigint, clock: number, timeout: bigint, flags = 0): void {
  const dv = env.dv();
  for (let i = 0; i < SUB; i++) dv.setUint8(at + i, 0);
  dv.setBigUint64(at, userdata, true);
  dv.setUint8(at + 8, 0);
  dv.setUint32(at + 16, clock, true);
  dv.setBigUint64(at + 24, timeout, true);
  dv.setBigUint64(at + 32, 0n, true);
  dv.setUint16(at + 40, flags, true);
}

function fdSub(env: Env, at: number, userdata: bigint, type: 1 | 2, fd: number): void {
  const dv = env.dv();
  for (let i = 0; i < SUB; i++) dv.setUint8(at + i, 0);
  dv.setBigUint64(at, userdata, true);
  dv.setUint8(at + 8, type);
  dv.setUint32(at + 16, fd, true);
}

function events(env: Env, out: number, n: number) {
  const dv = env.dv();
  return Array.from({ length: n }, (_, i) => ({
    userdata: dv.getBigUint64(out + i * EV, true),
    error: dv.getUint16(out + i * EV + 8, true),
    type: dv.getUint8(out + i * EV + 10),
    nbytes: dv.getBigUint64(out + i * EV + 16, true),
    flags: dv.getUint16(out + i * EV + 24, true),
  }));
}

describe('poll_oneoff', () => {
  it('zero subscriptions is EINVAL', () => {
    const env = makeEnv();
    expect(env.sys.poll_oneoff(1000, 2000, 0, 8)).toBe(Errno.INVAL);
  });

  it('a relative monotonic timeout sleeps (without spinning) until due', () => {
    const env = makeEnv();
    const t0 = env.host.monoNs;
    clockSub(env, 1000, 7n, 1, 5_000_000n);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(env.u32(8)).toBe(1);
    expect(events(env, 2000, 1)[0]).toMatchObject({ userdata: 7n, error: 0, type: 0 });
    expect(env.host.monoNs - t0).toBe(5_000_000n); // FakeHost.sleepSync advanced exactly to the deadline
  });

  it('absolute realtime and monotonic deadlines; the earliest wins', () => {
    const env = makeEnv();
    const t0 = env.host.monoNs;
    clockSub(env, 1000, 1n, 0, env.host.nowNs + 9_000n, 1);
    clockSub(env, 1000 + SUB, 2n, 1, env.host.monoNs + 3_000n, 1);
    expect(env.sys.poll_oneoff(1000, 2000, 2, 8)).toBe(0);
    expect(env.u32(8)).toBe(1);
    expect(events(env, 2000, 1)[0]!.userdata).toBe(2n);
    expect(env.host.monoNs - t0).toBe(3_000n);
    // a deadline already past fires at once
    clockSub(env, 1000, 3n, 1, 0n, 1);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(events(env, 2000, 1)[0]!.userdata).toBe(3n);
  });

  it('a CPU-time clock subscription reports EINVAL in its event', () => {
    const env = makeEnv();
    clockSub(env, 1000, 5n, 2, 10n);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(events(env, 2000, 1)[0]).toMatchObject({ userdata: 5n, error: Errno.INVAL });
  });

  it('fd subscriptions: ready stdin, writable stdout, a bad fd (per-event EBADF), with a timeout', () => {
    const env = makeEnv({ stdin: 'hey' });
    fdSub(env, 1000, 10n, 1, 0);
    fdSub(env, 1000 + SUB, 11n, 2, 1);
    fdSub(env, 1000 + 2 * SUB, 12n, 1, 99);
    clockSub(env, 1000 + 3 * SUB, 13n, 1, 1_000_000_000n);
    const t0 = env.host.monoNs;
    expect(env.sys.poll_oneoff(1000, 2000, 4, 8)).toBe(0);
    const evs = events(env, 2000, env.u32(8));
    expect(evs.map((e) => e.userdata)).toEqual([10n, 11n, 12n]);
    expect(evs[2]!.error).toBe(Errno.BADF);
    expect(evs[0]!.nbytes).toBe(3n); // bytes waiting in the stdin pipe
    expect(evs[0]!.flags).toBe(0);
    expect(env.host.monoNs).toBe(t0); // nothing slept
  });

  it('a drained pipe whose writers are gone reports hang-up', () => {
    const env = makeEnv({ stdin: '' });
    fdSub(env, 1000, 9n, 1, 0);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(events(env, 2000, 1)[0]).toMatchObject({ userdata: 9n, error: 0, nbytes: 0n, flags: 1 });
  });

  it('a regular file is always readable and reports the bytes left', () => {
    const env = makeEnv();
    const n = env.put(3000, 'f');
    const all = (1n << 30n) - 1n;
    env.sys.path_open(3, 0, 3000, n, 1, all, all, 0, 900);
    const fd = env.u32(900);
    env.put(3100, 'abcdef');
    env.iovs(3200, [[3100, 6]]);
    env.sys.fd_pwrite(fd, 3200, 1, 0n, 8);
    fdSub(env, 1000, 1n, 1, fd);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(events(env, 2000, 1)[0]!.nbytes).toBe(6n);
  });

  it('an unready pipe with a timeout returns the clock event', () => {
    const env = makeEnv();
    fdSub(env, 1000, 1n, 1, 0);
    clockSub(env, 1000 + SUB, 2n, 1, 50n);
    expect(env.sys.poll_oneoff(1000, 2000, 2, 8)).toBe(0);
    expect(events(env, 2000, env.u32(8)).map((e) => e.userdata)).toEqual([2n]);
  });

  it('stdin fed by a pump wakes an fd subscription', () => {
    const env = makeEnv();
    env.stdin.readQueue.syncPump = () => {
      env.stdin.hostWrite(new TextEncoder().encode('z'));
      return true;
    };
    fdSub(env, 1000, 4n, 1, 0);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(0);
    expect(events(env, 2000, 1)[0]).toMatchObject({ userdata: 4n, error: 0, type: 1 });
  });

  it('bad pointers are EFAULT and unknown tags EINVAL', () => {
    const env = makeEnv();
    expect(env.sys.poll_oneoff(65536 - 10, 2000, 1, 8)).toBe(Errno.FAULT);
    expect(env.sys.poll_oneoff(1000, 65536 - 10, 1, 8)).toBe(Errno.FAULT);
    expect(env.sys.poll_oneoff(1000, 2000, 2000, 8)).toBe(Errno.FAULT); // 2000 subscriptions leave the page
    expect(env.sys.poll_oneoff(1000, 2000, MAX_SUBSCRIPTIONS + 1, 8)).toBe(Errno.INVAL); // more than MAX_SUBSCRIPTIONS
    expect(env.sys.poll_oneoff(1000, 2000, 0x1000_0000, 8)).toBe(Errno.INVAL);
    clockSub(env, 1000, 1n, 1, 0n);
    env.dv().setUint8(1008, 9);
    expect(env.sys.poll_oneoff(1000, 2000, 1, 8)).toBe(Errno.INVAL);
  });
});
