/**
 * A worked example of wasmvisor/testing: a C file copier (copier.c, built to
 * copier.wasm) tested through its error paths, the way a test suite in CI
 * would: a container made from a plain object per test, faults injected
 * into chosen calls, a size-limited tmpfs for a full disk, and the result
 * checked with the matchers (exit code, calls made, files written).
 *
 *     npm run build && npx vitest run examples/
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatTrace, runProgram } from 'wasmvisor/testing';
import { wasmvisorMatchers, type WasmvisorMatchers } from 'wasmvisor/testing/vitest';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends WasmvisorMatchers<T> {}
}

const COPIER = join(import.meta.dirname, 'copier.wasm');
const TEXT = 'line of text\n'.repeat(1000); // 13,000 bytes: four reads of 4 KiB
const files = { '/data/in.txt': TEXT, '/out/': {} };
const copy = (opts: Parameters<typeof runProgram>[1] = {}) => runProgram(COPIER, { args: ['/data/in.txt', '/out/copy.txt'], files, ...opts });

beforeAll(() => {
  expect.extend(wasmvisorMatchers);
});

describe('copier', () => {
  it('copies a file', async () => {
    const r = await copy({ trace: true });
    expect(r).toHaveExited(0);
    expect(r.stdout).toBe('copied 13000 bytes\n');
    expect(r).toHaveWritten('/out/copy.txt', TEXT);
    expect(r).toHaveCalled('path_open', { path: '/data/in.txt', error: 'SUCCESS' });
    expect(await r.fs.diff()).toEqual([{ kind: 'C', path: '/out' }, { kind: 'A', path: '/out/copy.txt' }]);
  });

  it('a missing source: exit 2 and a message, nothing written', async () => {
    const r = await copy({ faults: [{ call: 'path_open', path: '/data/in.txt', errno: 'ENOENT' }] });
    expect(r).toHaveExited(2);
    expect(r.stderr).toBe('copier: /data/in.txt: No such file or directory\n');
    expect(r).toHaveCalled('path_open', { path: '/data/in.txt', injected: 'ENOENT' });
    expect(r.fs.exists('/out/copy.txt')).toBe(false);
  });

  it('short writes: every write moves 7 bytes and the copy is still whole', async () => {
    const r = await copy({ faults: [{ call: 'fd_write', path: '/out/copy.txt', short: 7 }] });
    expect(r).toHaveExited(0);
    expect(r).toHaveWritten('/out/copy.txt', TEXT);
    expect(r.trace.filter((e) => e.call === 'fd_write' && e.injected === 'short 7').length).toBeGreaterThan(1000);
  });

  it('partial reads (as after EINTR): every read returns 100 bytes at most and the copy is still whole', async () => {
    const r = await copy({ faults: [{ call: 'fd_read', path: '/data/in.txt', short: 100 }] });
    expect(r).toHaveExited(0);
    expect(r).toHaveWritten('/out/copy.txt', TEXT);
    expect(r).toHaveCalled('fd_read', { path: '/data/in.txt', injected: 'short 100', result: new Uint8Array(new TextEncoder().encode(TEXT).subarray(0, 100)) });
  });

  it('a disk that fills up (a 4 KiB tmpfs): exit 3, the partial copy removed', async () => {
    const r = await copy({ files: { '/data/in.txt': TEXT }, limits: { tmpfs: ['/out:size=4k'] }, trace: true });
    expect(r).toHaveExited(3);
    expect(r.stderr).toBe('copier: writing /out/copy.txt: No space left on device (disk full; removed the partial copy)\n');
    expect(r).toHaveCalled('fd_write', { path: '/out/copy.txt', error: 'ENOSPC' });
    expect(r).toHaveCalled('path_unlink_file', { path: '/out/copy.txt', error: 'SUCCESS' });
    expect(r.fs.exists('/out/copy.txt')).toBe(false);
  });

  it('ENOSPC on the third write, injected: the same path, without a small disk', async () => {
    const r = await copy({ faults: [{ call: 'fd_write', path: '/out/*', nth: 3, errno: 'ENOSPC' }] });
    expect(r).toHaveExited(3);
    expect(r.fs.exists('/out/copy.txt')).toBe(false);
  });

  it('EINTR-like EAGAIN on a read is retried', async () => {
    const r = await copy({ faults: [{ call: 'fd_read', path: '/data/in.txt', nth: 2, errno: 'EAGAIN' }] });
    expect(r).toHaveExited(0);
    expect(r).toHaveWritten('/out/copy.txt', TEXT);
  });

  it('the trace reads as strace, the same on every run with a virtual clock and a seed', async () => {
    const small = { '/data/in.txt': 'hi\n', '/out/': {} };
    const run = () => copy({ files: small, clock: {}, random: 1, trace: true, faults: [{ call: 'fd_write', path: '/out/*', short: 1 }] });
    const [a, b] = [await run(), await run()];
    expect(formatTrace(b.trace)).toBe(formatTrace(a.trace));
    expect(formatTrace(a.trace.filter((e) => e.path?.startsWith('/out/') || e.path === '/data/in.txt'))).toMatchInlineSnapshot(`
      "[1] path_open(fd=3, dirflags=1, path="data/in.txt", oflags=0, rightsBase=264240830, rightsInheriting=268435455, fdflags=0) = 0 SUCCESS → 4 <0.0µs>
      [1] path_open(fd=3, dirflags=1, path="out/copy.txt", oflags=9, rightsBase=268419069, rightsInheriting=268435455, fdflags=0) = 0 SUCCESS → 5 <0.0µs>
      [1] fd_read(fd=4, max=4096) = 0 SUCCESS → "hi\\n" <0.0µs>
      [1] fd_write(fd=5, data="h") = 0 SUCCESS → 1 <0.0µs> [injected: short 1]
      [1] fd_write(fd=5, data="i") = 0 SUCCESS → 1 <0.0µs> [injected: short 1]
      [1] fd_write(fd=5, data="\\n") = 0 SUCCESS → 1 <0.0µs>
      [1] fd_read(fd=4, max=4096) = 0 SUCCESS → "" <0.0µs>
      "
    `);
  });
});
