import { describe, expect, it } from 'vitest';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { Kernel } from '../../../kernel/kernel.js';
import { SentryOp, SentryStatus } from '../../../kernel/platform/sentry_protocol.js';
import { SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';
import type { ExitStatus } from '../../../kernel/task/exit.js';
import { Pipe } from '../../../kernel/task/pipe.js';
import { installStdio } from '../../../kernel/task/stdio.js';
import { ConsoleFile } from '../../../kernel/task/console.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FakeHost } from '../../support/fake_host.js';
import { recordingSentryTasks } from '../../support/sentry_transport.js';

function setup() {
  const host = new FakeHost();
  const { tasks, posted, responses } = recordingSentryTasks();
  const mk = (id: number) => {
    const kernel = new Kernel(host);
    const ns = new MountNamespace(new TmpFs(host));
    const task = kernel.createTask({ pathOps: ns.pathOps }, { args: ['t'], env: [] });
    const stdin = new Pipe();
    stdin.openHostWriter();
    const out: string[] = [];
    installStdio(task, { file: stdin.readEnd() },
      { file: new ConsoleFile({ isTty: false, write: (d) => out.push(new TextDecoder().decode(d)) }, 'stdout') },
      { file: new ConsoleFile({ isTty: false, write: () => {} }, 'stderr') });
    const exits: ExitStatus[] = [];
    let paused = false;
    tasks.register(id, kernel, task, { isPaused: () => paused, onExit: (s) => exits.push(s) });
    return { kernel, task, stdin, out, exits, pause: (p: boolean) => { paused = p; } };
  };
  const run = () => { while (posted.length) posted.shift()!(); };
  return { host, tasks, mk, responses, run };
}

const nr = (name: string) => SYSCALL_BY_NAME.get(name)!.nr;

describe('sentry platform, kernel side', () => {
  it('runs calls on plain values; parks a blocking read and answers it when data comes', () => {
    const { tasks, mk, responses, run } = setup();
    const a = mk(0);
    expect(tasks.handle(0, nr('fd_write'), { fd: 1, data: new TextEncoder().encode('hi') })).toEqual({ status: 0, value: 2 });
    expect(a.out).toEqual(['hi']);
    expect(tasks.handle(0, nr('fd_read'), { fd: 0, max: 10 })).toBeNull();
    expect(tasks.isParked(0)).toBe(true);
    a.stdin.hostWrite(new TextEncoder().encode('data'));
    run();
    expect(responses).toHaveLength(1);
    expect(responses[0]![0]).toBe(0);
    expect(new TextDecoder().decode(responses[0]![1].value as Uint8Array)).toBe('data');
    expect(tasks.isParked(0)).toBe(false);
  });

  it('a paused task parks at its next call and runs it on wake', () => {
    const { tasks, mk, responses, run } = setup();
    const a = mk(0);
    a.pause(true);
    expect(tasks.handle(0, nr('fd_write'), { fd: 1, data: new Uint8Array([65]) })).toBeNull();
    expect(a.out).toEqual([]);
    a.pause(false);
    tasks.wakeAll();
    run();
    expect(a.out).toEqual(['A']);
    expect(responses[0]![1]).toEqual({ status: 0, value: 1 });
  });

  it('terminate answers a parked call with EXIT; proc_exit ends the task', () => {
    const { tasks, mk, responses } = setup();
    const a = mk(0);
    const b = mk(1);
    expect(tasks.handle(0, nr('fd_read'), { fd: 0, max: 1 })).toBeNull();
    tasks.terminate(0, { code: 0, signal: 15 });
    expect(responses[0]).toEqual([0, { status: SentryStatus.EXIT, value: { code: 0, signal: 15 } }]);
    expect(a.exits).toEqual([{ code: 0, signal: 15 }]);
    expect(tasks.handle(1, nr('proc_exit'), { code: 3 })).toEqual({ status: SentryStatus.EXIT, value: { code: 3 } });
    expect(b.exits).toEqual([{ code: 3 }]);
    expect(tasks.handle(1, SentryOp.EXIT, { code: 3 })).toEqual({ status: 0, value: { code: 3 } });
  });

  it('a kernel bug in one call ends that task with a clear status; another task keeps running', () => {
    const { host, tasks, mk } = setup();
    const a = mk(0);
    const b = mk(1);
    // a bug in a syscall filter is caught by the dispatcher: EIO for that call
    a.kernel.dispatcher.filter = () => { throw new Error('filter bug'); };
    expect(tasks.handle(0, nr('fd_write'), { fd: 1, data: new Uint8Array([1]) })).toEqual({ status: 29, value: undefined });
    expect(host.bugs).toHaveLength(1);
    host.bugs.length = 0;
    a.kernel.dispatcher.filter = null;
    // an exception escaping the dispatcher itself ends the task
    a.kernel.dispatcher.attempt = () => { throw new Error('boom'); };
    const r = tasks.handle(0, nr('fd_write'), { fd: 1, data: new Uint8Array([1]) });
    expect(r).toEqual({ status: SentryStatus.EXIT, value: { code: 134, reason: 'kernel bug in fd_write: boom' } });
    expect(a.exits).toEqual([{ code: 134, reason: 'kernel bug in fd_write: boom' }]);
    expect(host.bugs).toHaveLength(1);
    expect(tasks.handle(1, nr('fd_write'), { fd: 1, data: new Uint8Array([66]) })).toEqual({ status: 0, value: 1 });
    expect(b.out).toEqual(['B']);
  });
});
