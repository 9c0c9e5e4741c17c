/**
 * Console flow control: a console sink with a window takes at most
 * `window.limit` unacknowledged bytes; a write past it blocks (parks on the
 * sentry platform), or is EAGAIN on a non-blocking fd; acknowledgements wake
 * it; writes ≤ PIPE_BUF are atomic, larger ones partial.
 */
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { Kernel } from '../../../kernel/kernel.js';
import { SentryStatus } from '../../../kernel/platform/sentry_protocol.js';
import { SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';
import { CONSOLE_EVENT_COST, CONSOLE_WINDOW, ConsoleFile, ConsoleWindow } from '../../../kernel/task/console.js';
import { Pipe, PIPE_BUF } from '../../../kernel/task/pipe.js';
import { installStdio } from '../../../kernel/task/stdio.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FdFlags } from '../../../kernel/vfs/types.js';
import { WouldBlock } from '../../../kernel/vfs/wait.js';
import { FakeHost } from '../../support/fake_host.js';
import { recordingSentryTasks } from '../../support/sentry_transport.js';

function windowed(limit: number) {
  const w = new ConsoleWindow(limit);
  let got = 0;
  const f = new ConsoleFile({ isTty: false, window: w, write: (d) => { got += d.byteLength; } }, 'stdout');
  return { w, f, got: () => got };
}

describe('ConsoleFile with a flow-control window', () => {
  it('defaults to a 1 MiB window', () => {
    expect(new ConsoleWindow().limit).toBe(CONSOLE_WINDOW);
    expect(CONSOLE_WINDOW).toBe(1 << 20);
  });

  it('takes writes up to the window, then blocks on its queue; acks free room', () => {
    const { w, f, got } = windowed(10_000);
    expect(f.write(new Uint8Array(6000))).toBe(6000);
    expect(w.inFlight).toBe(6000);
    // a blocking write is never short: it waits for room for all of it
    expect(() => f.write(new Uint8Array(8000))).toThrow(WouldBlock);
    expect(w.inFlight).toBe(6000);
    expect(f.write(new Uint8Array(4000))).toBe(4000);
    expect(w.room).toBe(0);
    expect(f.writable()).toBe(false);
    let thrown: unknown;
    try { f.write(new Uint8Array(1)); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(WouldBlock);
    expect((thrown as WouldBlock).queues).toEqual([w.queue]);
    expect(f.pollQueue(true)).toBe(w.queue);
    let woke = 0;
    w.queue.subscribe(() => { woke++; });
    w.ack(3000);
    expect(woke).toBe(1);
    expect(f.writable()).toBe(false); // poll says writable once PIPE_BUF bytes fit, as for a pipe
    expect(() => f.write(new Uint8Array(5000))).toThrow(WouldBlock);
    expect(f.write(new Uint8Array(3000))).toBe(3000);
    expect(got()).toBe(13_000);
    expect(w.peak).toBe(10_000);
    w.ack(PIPE_BUF);
    expect(f.writable()).toBe(true);
  });

  it('a blocking write larger than the window waits for an empty window and takes the window (the one short write)', () => {
    const { w, f } = windowed(10_000);
    expect(f.write(new Uint8Array(1))).toBe(1);
    expect(() => f.write(new Uint8Array(50_000))).toThrow(WouldBlock);
    w.ack(1);
    expect(f.write(new Uint8Array(50_000))).toBe(10_000);
  });

  it('each event posted to the host costs CONSOLE_EVENT_COST more until acknowledged, in order, so tiny writes are bounded in events too', () => {
    const { w, f } = windowed(10 * (1 + CONSOLE_EVENT_COST));
    let events = 0;
    while (w.room > 0) {
      f.write(new Uint8Array(1));
      w.sent(1); // one event per write: the worst case
      events++;
    }
    expect(events).toBe(10);
    w.ack(3); // the three oldest events delivered
    expect(w.inFlight).toBe(7 * (1 + CONSOLE_EVENT_COST));
    const v = new ConsoleWindow(1000);
    v.take(100);
    v.sent(100);
    v.ack(60); // part of an event: its bytes only
    expect(v.inFlight).toBe(40 + CONSOLE_EVENT_COST);
    v.ack(40);
    expect(v.inFlight).toBe(0);
  });

  it('writes of at most PIPE_BUF bytes are all or nothing', () => {
    const { w, f } = windowed(PIPE_BUF + 100);
    expect(f.write(new Uint8Array(200))).toBe(200);
    expect(() => f.write(new Uint8Array(PIPE_BUF))).toThrow(WouldBlock);
    expect(w.inFlight).toBe(200);
    w.ack(200);
    expect(f.write(new Uint8Array(PIPE_BUF))).toBe(PIPE_BUF);
  });

  it('a non-blocking fd takes what fits (partial past PIPE_BUF) and gets EAGAIN instead of blocking', () => {
    const { w, f } = windowed(10_000);
    f.fdflags = FdFlags.NONBLOCK;
    expect(f.write(new Uint8Array(6000))).toBe(6000);
    expect(f.write(new Uint8Array(8000))).toBe(4000);
    expect(() => f.write(new Uint8Array(1))).toThrow(E.AGAIN);
    w.ack(100);
    expect(() => f.write(new Uint8Array(200))).toThrow(E.AGAIN); // ≤ PIPE_BUF: all or nothing
    expect(f.write(new Uint8Array(100))).toBe(100);
  });

  it('without a window (inline platform sinks) nothing blocks', () => {
    let got = 0;
    const f = new ConsoleFile({ isTty: false, write: (d) => { got += d.byteLength; } }, 'stdout');
    for (let i = 0; i < 64; i++) expect(f.write(new Uint8Array(65536))).toBe(65536);
    expect(got).toBe(64 * 65536);
    expect(f.writable()).toBe(true);
  });
});

describe('sentry platform: a write parked on a full console window', () => {
  function setup() {
    const host = new FakeHost();
    const { tasks, posted, responses } = recordingSentryTasks();
    const kernel = new Kernel(host);
    const ns = new MountNamespace(new TmpFs(host));
    const task = kernel.createTask({ pathOps: ns.pathOps }, { args: ['t'], env: [] });
    const stdin = new Pipe();
    stdin.openHostWriter();
    const w = new ConsoleWindow(65536);
    let got = 0;
    installStdio(task, { file: stdin.readEnd() },
      { file: new ConsoleFile({ isTty: false, window: w, write: (d) => { got += d.byteLength; } }, 'stdout') },
      { file: new ConsoleFile({ isTty: false, write: () => {} }, 'stderr') });
    tasks.register(0, kernel, task, { isPaused: () => false, onExit: () => {} });
    const run = () => { while (posted.length) posted.shift()!(); };
    return { tasks, w, responses, run, got: () => got };
  }
  const WRITE = SYSCALL_BY_NAME.get('fd_write')!.nr;

  it('parks until the host acknowledges, then completes', () => {
    const { tasks, w, responses, run, got } = setup();
    expect(tasks.handle(0, WRITE, { fd: 1, data: new Uint8Array(65536) })).toEqual({ status: 0, value: 65536 });
    expect(tasks.handle(0, WRITE, { fd: 1, data: new Uint8Array(1000) })).toBeNull();
    expect(tasks.isParked(0)).toBe(true);
    run();
    expect(responses).toEqual([]);
    w.ack(65536);
    run();
    expect(responses).toEqual([[0, { status: 0, value: 1000 }]]);
    expect(got()).toBe(66_536);
  });

  it('killing the task while its write is parked answers EXIT and drops the subscription', () => {
    const { tasks, w, responses, run } = setup();
    tasks.handle(0, WRITE, { fd: 1, data: new Uint8Array(65536) });
    expect(tasks.handle(0, WRITE, { fd: 1, data: new Uint8Array(10) })).toBeNull();
    expect(w.queue.size).toBe(1);
    tasks.terminate(0, { code: 0, signal: 9 });
    expect(responses).toHaveLength(1);
    expect(responses[0]![1].status).toBe(SentryStatus.EXIT);
    expect(w.queue.size).toBe(0);
    w.ack(65536);
    run();
    expect(responses).toHaveLength(1);
  });
});
