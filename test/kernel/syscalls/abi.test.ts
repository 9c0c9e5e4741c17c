import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { TaskExit } from '../../../kernel/task/exit.js';
import { makeEnv } from './harness.js';
import { SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';

const PAGE = 65536;

describe('ABI bounds checks', () => {
  it('iovec arrays past the end of memory are EFAULT', () => {
    const env = makeEnv({ stdin: 'data' });
    expect(env.sys.fd_write(1, PAGE - 4, 1, 8)).toBe(Errno.FAULT);
    expect(env.sys.fd_read(0, PAGE - 4, 1, 8)).toBe(Errno.FAULT);
    expect(env.sys.fd_write(1, PAGE - 8 * 1024 + 8, 1024, 8)).toBe(Errno.FAULT); // the array's end leaves memory
    expect(env.sys.fd_write(1, 0, 1025, 8)).toBe(Errno.INVAL); // more than IOV_MAX, as writev(2)
    expect(env.sys.fd_write(1, 0, -1, 8)).toBe(Errno.INVAL); // u32 max count
  });

  it('an iovec whose buffer leaves memory is EFAULT, and nothing is written', () => {
    const env = makeEnv();
    env.put(100, 'ok');
    env.iovs(16, [[100, 2], [PAGE - 1, 2]]);
    expect(env.sys.fd_write(1, 16, 2, 8)).toBe(Errno.FAULT);
    env.iovs(16, [[100, 2], [10, 0xffff_ffff]]);
    expect(env.sys.fd_write(1, 16, 2, 8)).toBe(Errno.FAULT);
    env.iovs(16, [[0xffff_fff0, 0x20]]);
    expect(env.sys.fd_write(1, 16, 1, 8)).toBe(Errno.FAULT);
    expect(env.stdout.text).toBe('');
  });

  it('out-pointers are checked before the call has effects', () => {
    const env = makeEnv({ stdin: 'abc' });
    env.iovs(16, [[100, 3]]);
    expect(env.sys.fd_read(0, 16, 1, PAGE - 2)).toBe(Errno.FAULT);
    expect(env.stdin.size).toBe(3); // the read did not consume stdin
    const n = env.put(200, 'created');
    const all = (1n << 30n) - 1n;
    expect(env.sys.path_open(3, 0, 200, n, 1, all, all, 0, PAGE)).toBe(Errno.FAULT);
    expect(env.task.fds.count).toBe(4); // no fd leaked
    expect(env.sys.path_filestat_get(3, 0, 200, n, 0)).toBe(Errno.NOENT); // and no file created
    env.put(100, 'x');
    env.iovs(16, [[100, 1]]);
    expect(env.sys.fd_write(1, 16, 1, -1)).toBe(Errno.FAULT);
    expect(env.stdout.text).toBe('');
  });

  it('a total iovec length above 2^31-1 is EINVAL', () => {
    const env = makeEnv();
    env.memory.grow(64 * 16 - 1); // 64 MiB
    // 1024 iovecs that all cover the same 4 MiB: 4 GiB in total
    const dv = new DataView(env.memory.buffer);
    for (let i = 0; i < 1024; i++) {
      dv.setUint32(16 + i * 8, 0, true);
      dv.setUint32(16 + i * 8 + 4, 4 << 20, true);
    }
    expect(env.sys.fd_write(1, 16, 1024, 8)).toBe(Errno.INVAL);
    expect(env.stdout.text).toBe('');
  });

  it('memory.grow between calls is seen (views are re-taken)', () => {
    const env = makeEnv();
    env.memory.grow(1);
    env.put(PAGE + 10, 'grown\n');
    env.iovs(PAGE + 100, [[PAGE + 10, 6]]);
    expect(env.sys.fd_write(1, PAGE + 100, 1, PAGE + 200)).toBe(0);
    expect(env.stdout.text).toBe('grown\n');
  });

  it('every import, called with hostile arguments, returns an errno and never throws', () => {
    const hostile: (number | bigint)[][] = [
      [0xffff_fff0, -1n],
      [-1, 1n << 63n],
      [PAGE - 1, 0xffff_ffffn],
      [0x7fff_ffff, 0n],
    ];
    for (const name of WASI_PREVIEW1_IMPORTS) {
      const params = SYSCALL_BY_NAME.get(name)!.codec.params;
      for (const [i32, i64] of hostile) {
        const env = makeEnv({ stdin: 'x' });
        const args = params.map(([, t]) => (t === 'i32' ? i32! : i64!));
        let r: number | undefined;
        try {
          r = env.sys[name]!(...args);
        } catch (e) {
          expect(e, name).toBeInstanceOf(TaskExit);
          expect(['proc_exit', 'proc_raise']).toContain(name);
          continue;
        }
        if (name !== 'proc_exit') {
          expect(Number.isInteger(r), name).toBe(true);
          expect(r!, name).toBeGreaterThanOrEqual(0);
          expect(r!, name).toBeLessThanOrEqual(76);
        }
        expect(env.host.bugs, name).toEqual([]);
      }
    }
  });
});

describe('guest strings', () => {
  it('decode from shared memory too (wasi-threads modules)', async () => {
    const { decodeGuestString } = await import('../../../kernel/abi/memory.js');
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const u8 = new Uint8Array(mem.buffer);
    const name = new TextEncoder().encode('dé/ü'.repeat(100));
    u8.set(name, 10);
    expect(decodeGuestString(u8.subarray(10, 10 + name.byteLength))).toBe('dé/ü'.repeat(100));
    u8.set([0x61, 0xc3], 0);
    expect(() => decodeGuestString(u8.subarray(0, 2))).toThrow(/ILSEQ/);
  });
});
