/**
 * wasmvisor/testing/vitest matchers: each passes on what it claims and
 * fails with a message that says what happened instead.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/testing/index.js';
import { wasmvisorMatchers, type WasmvisorMatchers } from '../../src/testing/vitest.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends WasmvisorMatchers<T> {}
}

const PROBE = join(import.meta.dirname, 'fixtures/det_probe.wasm');

beforeAll(() => {
  expect.extend(wasmvisorMatchers);
});

describe('matchers', () => {
  it('toHaveExited, toHaveCalled, toHaveWritten pass and fail as they say', async () => {
    const r = await runProgram(PROBE, { files: { '/data/': {} }, faults: [{ call: 'path_open', path: '/data/alpha', errno: 'EACCES' }] });
    expect(r).toHaveExited(0);
    expect(() => expect(r).toHaveExited(3)).toThrow(/to exit with 3, it exited with 0/);
    expect(r).toHaveCalled('path_open', { path: '/data/alpha', error: 'EACCES', injected: true });
    expect(r).toHaveCalled('path_open', { path: /^\/data\/z/, error: 'SUCCESS' });
    expect(r).not.toHaveCalled('path_open', { path: '/data/zeta', injected: true });
    expect(() => expect(r).toHaveCalled('path_open', { path: '/nowhere' })).toThrow(/expected a path_open call with path="\/nowhere"; the path_open calls were:\n {2}\/data\/zeta SUCCESS/);
    expect(r).toHaveCalled('fd_write', { fd: 1 });
    expect(r).toHaveWritten('/data/zeta', '/data/zeta');
    expect(r).toHaveWritten('/data/mid', /^\/data\/m/);
    expect(() => expect(r).toHaveWritten('/data/zeta', 'other')).toThrow(/to hold "other"; it holds "\/data\/zeta"/);
    expect(() => expect(r).toHaveWritten('/data/alpha', 'x')).toThrow(/\/data\/alpha: ENOENT/);
    const untraced = await runProgram(PROBE, { files: { '/data/': {} } });
    expect(() => expect(untraced).toHaveCalled('path_open')).toThrow(/run with trace: true/);
    expect(() => expect({}).toHaveExited(0)).toThrow(/expects the result of runProgram/);
  });
});
