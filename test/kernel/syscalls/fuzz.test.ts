/**
 * Fuzz: random preview1 calls with random arguments through the ABI, for a
 * fixed count with a fixed seed. The host never throws (only TaskExit from
 * proc_exit/proc_raise), nothing is logged as a kernel bug, and the fd
 * table stays consistent: its count matches its entries, every description
 * is referenced as many times as fds point at it, and no fd passes the limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';
import { TaskExit } from '../../../kernel/task/exit.js';
import type { FileDescription } from '../../../kernel/vfs/file_description.js';
import { makeEnv, type Env } from './harness.js';

const PAGE = 65536;
const PATHS = 8192; // path strings live here, 64 bytes apart
const IOVS = 12288; // iovec arrays
const NAMES = ['a', 'd', 'd/b', '..', '.', '/', '', 'a/../d', 'link', 'x/y/z', 'd/', 'a'.repeat(300)];

function seed(env: Env): void {
  NAMES.forEach((n, i) => env.put(PATHS + i * 512, n));
  env.iovs(IOVS, [[20000, 16], [20100, 0], [20200, 100]]);
  env.iovs(IOVS + 64, [[PAGE - 8, 8]]);
}

const i32 = fc.oneof(
  fc.integer({ min: 0, max: 12 }),
  fc.constantFrom(PATHS, PATHS + 512, PATHS + 1024, PATHS + 1536, PATHS + 4096, IOVS, IOVS + 64, 20000, 30000),
  fc.constantFrom(PAGE - 1, PAGE, -1, 0x7fff_ffff, 0x8000_0000 | 0, 1024),
  fc.integer({ min: 0, max: PAGE }),
  fc.integer(),
);
const i64 = fc.oneof(
  fc.constantFrom(0n, 1n, 10n, -1n, 1n << 63n, (1n << 63n) - 1n, (1n << 30n) - 1n),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
);

const call = fc.constantFrom(...WASI_PREVIEW1_IMPORTS.filter((n) => n !== 'proc_exit'), 'proc_exit').chain((name) => {
  const params = SYSCALL_BY_NAME.get(name)!.codec.params;
  return fc.tuple(fc.constant(name), fc.tuple(...params.map(([, t]) => (t === 'i32' ? i32 : i64))));
});

function checkInvariants(env: Env): void {
  const fds = env.task.fds;
  const entries = [...fds.entries()];
  expect(fds.count).toBe(entries.length);
  const refs = new Map<FileDescription, number>();
  for (const [fd, e] of entries) {
    expect(fd).toBeLessThan(fds.limit);
    refs.set(e.desc, (refs.get(e.desc) ?? 0) + 1);
  }
  for (const [desc, n] of refs) expect(desc.count).toBe(n);
  expect(env.host.bugs).toEqual([]);
}

describe('syscall fuzz', () => {
  it('random calls with random arguments keep the host and the kernel sound', () => {
    let total = 0;
    fc.assert(
      fc.property(fc.array(call, { minLength: 60, maxLength: 150 }), (calls) => {
        const env = makeEnv({ stdin: 'fuzz input\n', args: ['fuzz', 'x'], env: ['K=V'] });
        seed(env);
        for (const [name, args] of calls) {
          total++;
          try {
            const r = env.sys[name]!(...(args as (number | bigint)[]));
            if (name !== 'proc_exit') {
              expect(Number.isInteger(r)).toBe(true);
              expect(r).toBeGreaterThanOrEqual(0);
              expect(r).toBeLessThanOrEqual(76);
            }
          } catch (e) {
            if (!(e instanceof TaskExit)) throw e;
            expect(['proc_exit', 'proc_raise']).toContain(name);
            checkInvariants(env);
            break; // the task is gone
          }
          checkInvariants(env);
        }
        // closing everything leaves no fd behind
        env.task.fds.closeAll();
        expect(env.task.fds.count).toBe(0);
      }),
      { numRuns: 60, seed: 20261123 },
    );
    expect(total).toBeGreaterThan(1500);
  });
});
