import { describe, expect, it } from 'vitest';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { Kernel } from '../../../kernel/kernel.js';
import { ModuleError, runInline } from '../../../kernel/platform/inline.js';
import { ConsoleFile } from '../../../kernel/task/console.js';
import { Pipe } from '../../../kernel/task/pipe.js';
import { installStdio } from '../../../kernel/task/stdio.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FakeHost } from '../../support/fake_host.js';
import { buildModule, op, type ModuleSpec } from '../../support/wasm_builder.js';
import { TextSink } from './harness.js';

function run(spec: ModuleSpec, filter?: Kernel['dispatcher']['filter']) {
  const host = new FakeHost();
  const kernel = new Kernel(host);
  kernel.dispatcher.filter = filter ?? null;
  const ns = new MountNamespace(new TmpFs(host));
  const task = kernel.createTask({ pathOps: ns.pathOps }, { args: ['t'], env: [] });
  const out = new TextSink();
  const stdin = new Pipe();
  installStdio(task, { file: stdin.readEnd() }, { file: new ConsoleFile(out, 'stdout') }, { file: new ConsoleFile(out, 'stderr') });
  const module = new WebAssembly.Module(buildModule(spec) as Uint8Array<ArrayBuffer>);
  const lines: string[] = [];
  const status = runInline(task, module, { dispatcher: kernel.dispatcher, strace: (l) => lines.push(l) });
  return { status, out, task, host, lines };
}

// _start: write "hi\n" (iovec at 16 → data at 32) then proc_exit(code)
function helloThenExit(code: number): ModuleSpec {
  return {
    imports: ['fd_write', 'proc_exit'],
    data: [{ offset: 16, bytes: [32, 0, 0, 0, 3, 0, 0, 0] }, { offset: 32, bytes: [...new TextEncoder().encode('hi\n')] }],
    funcs: [{
      name: '_start',
      body: [...op.i32(1), ...op.i32(16), ...op.i32(1), ...op.i32(8), ...op.call(0), ...op.drop, ...op.i32(code), ...op.call(1)],
    }],
  };
}

describe('inline platform', () => {
  it('runs _start, passes stdout, and returns the proc_exit code', () => {
    const r = run(helloThenExit(42));
    expect(r.out.text).toBe('hi\n');
    expect(r.status).toEqual({ code: 42 });
    expect(r.task.exitStatus).toEqual({ code: 42 });
    expect(r.task.fds.count).toBe(0); // fds closed at exit
    expect(r.lines[1]).toMatch(/^\[1\] proc_exit\(code=42\) = \?/);
  });

  it('returning from _start is exit 0', () => {
    const r = run({ imports: [], funcs: [{ name: '_start', body: [] }] });
    expect(r.status).toEqual({ code: 0 });
  });

  it('a trap ends the task with 134 and the trap message', () => {
    const r = run({ imports: [], funcs: [{ name: '_start', body: op.unreachable }] });
    expect(r.status.code).toBe(134);
    expect(r.status.reason).toMatch(/^trap: unreachable/);
  });

  it('a stack overflow is a trap, not a host crash', () => {
    const r = run({ imports: [], funcs: [{ name: '_start', body: op.call(0) }] });
    expect(r.status.code).toBe(134);
  });

  it('no _start, no memory, unknown imports: ModuleError', () => {
    expect(() => run({ imports: [], funcs: [{ name: 'main', body: [] }] })).toThrow(/no _start/);
    expect(() => run({ imports: [], exportMemory: false, funcs: [{ name: '_start', body: [] }] })).toThrow(ModuleError);
    expect(() => run({ imports: [], foreignImports: [{ module: 'env', name: 'f' }], funcs: [{ name: '_start', body: [] }] })).toThrow(/cannot link/);
  });

  it('the filter hook can deny with an errno or kill', () => {
    const denied = run(helloThenExit(0), (_t, e) => (e.name === 'fd_write' ? { deny: { errno: 63 } as never } : undefined));
    expect(denied.out.text).toBe('');
    expect(denied.lines[0]).toMatch(/= 63 PERM/);
    const killed = run(helloThenExit(0), (_t, e) => (e.name === 'fd_write' ? { kill: 9 } : undefined));
    expect(killed.status.signal).toBe(9);
  });

  it('a handler bug is logged and becomes EIO', () => {
    const r = run(helloThenExit(0), (t) => {
      (t.fds as unknown as { get: () => never }).get = () => {
        throw new TypeError('boom');
      };
      return undefined;
    });
    expect(r.lines[0]).toMatch(/= 29 IO/);
    expect(r.host.bugs.length).toBe(1);
  });
});
