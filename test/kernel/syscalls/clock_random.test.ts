import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { makeEnv } from './harness.js';

describe('clocks and random_get', () => {
  it('clock_time_get reads the host clocks', () => {
    const env = makeEnv();
    expect(env.sys.clock_time_get(0, 1n, 8)).toBe(0);
    expect(env.u64(8)).toBe(env.host.nowNs);
    expect(env.sys.clock_time_get(1, 0n, 8)).toBe(0);
    expect(env.u64(8)).toBe(env.host.monoNs);
    env.host.cpuNs = 5_000n;
    expect(env.sys.clock_time_get(2, 0n, 8)).toBe(0);
    expect(env.u64(8)).toBe(5_000n);
    expect(env.sys.clock_time_get(3, 0n, 8)).toBe(0);
    expect(env.u64(8)).toBe(5_000n);
    expect(env.sys.clock_time_get(4, 0n, 8)).toBe(Errno.INVAL);
    expect(env.sys.clock_time_get(0, 0n, 65535)).toBe(Errno.FAULT);
  });

  it('clock_res_get', () => {
    const env = makeEnv();
    for (const [id, res] of [[0, 1n], [1, 1n], [2, 1000n], [3, 1000n]] as const) {
      expect(env.sys.clock_res_get(id, 8)).toBe(0);
      expect(env.u64(8)).toBe(res);
    }
    expect(env.sys.clock_res_get(9, 8)).toBe(Errno.INVAL);
    expect(env.sys.clock_res_get(0, -8)).toBe(Errno.FAULT);
  });

  it('random_get fills the buffer (also beyond 64 KiB) and faults past memory', () => {
    const env = makeEnv();
    env.memory.grow(2);
    expect(env.sys.random_get(100, 100_000)).toBe(0);
    const b = env.u8().subarray(100, 100_100);
    expect(new Set(b).size).toBeGreaterThan(200);
    expect(b.subarray(70_000, 70_100).some((x) => x !== 0)).toBe(true);
    expect(env.sys.random_get(env.u8().byteLength - 4, 5)).toBe(Errno.FAULT);
    expect(env.sys.random_get(0, 0)).toBe(0);
  });
});
