/**
 * The sentry platform on one thread, for the syscall tests: the app side
 * (`sentryInvoke`, the codec, a ChannelClient on a real SharedArrayBuffer
 * channel and hub) and the kernel side (a ChannelServer and SentryTasks,
 * as the Sentry wires them) in the test's thread. Where the app worker
 * would wait for the answer, the client drains the server instead; a parked
 * request is retried when a timer of the transport falls due (the host's
 * clock is advanced to it with `sleepSync`, as the inline platform sleeps)
 * or a queue wakes it. Every request and answer crosses the channel's
 * bytes, in the fixed wire layouts for the hot calls as in a real Sentry,
 * so what the wire drops (keys starting with `_`, class instances) is
 * dropped here too; only the threads are missing.
 */
import type { Kernel } from '../../kernel/kernel.js';
import type { ImportContext } from '../../kernel/platform/imports.js';
import { sentryInvoke } from '../../kernel/platform/sentry_app.js';
import { SentryTasks } from '../../kernel/platform/sentry.js';
import { SENTRY_WIRES } from '../../kernel/platform/sentry_wire.js';
import type { FixedChannel } from '../../kernel/platform/sentry_fast.js';
import type { Task } from '../../kernel/task/task.js';
import { Ch, State } from '../../kernel/platform/sentry_protocol.js';
import { ChannelClient, createChannelBuffer, createHubBuffer } from '../../src/sentry/channel.js';
import { ChannelServer, PENDING } from '../../src/sentry/channel_server.js';

/** Thrown when a call parks and nothing on this thread could ever answer it (inline: EDEADLK). */
export class LoopbackParked extends Error {
  constructor(readonly nr: number) {
    super(`sentry loopback: call ${nr} parked and nothing on this thread can wake it`);
    this.name = 'LoopbackParked';
  }
}

interface Timer {
  dueNs: bigint;
  fn: () => void;
  live: boolean;
}

/** The client's wait drives the server on the same thread. */
class LoopbackClient extends ChannelClient {
  constructor(channel: SharedArrayBuffer, hub: SharedArrayBuffer, id: number, private readonly pump: () => boolean) {
    super(channel, hub, id, 0, SENTRY_WIRES);
  }

  protected override await(h: Int32Array): void {
    while (Atomics.load(h, Ch.STATE) === State.REQ) {
      if (!this.pump()) throw new LoopbackParked(h[Ch.OP]!);
    }
  }
}

/** Options of a loopback. */
export interface LoopbackOptions {
  /** Size of the channel's data area (small values force chunked messages). */
  channelBytes?: number;
  /**
   * The world outside the task acting while a call is parked (a host
   * feeding stdin, a SIGCONT): true if it did something, after which the
   * parked request is retried. Default: nothing.
   */
  onStuck?: () => boolean;
}

/**
 * Serve `task` of `kernel` over a loopback channel; returns the import
 * context's `invoke` for it (give it the guest memory size getter) and the
 * channel for the app side's fixed-layout fast paths.
 */
export function sentryLoopback(kernel: Kernel, task: Task, memoryBytes: () => number, opts: LoopbackOptions = {}): { invoke: ImportContext['invoke']; fixed: FixedChannel } {
  const host = task.host;
  const hub = createHubBuffer(4);
  const channel = createChannelBuffer(opts.channelBytes);
  const timers: Timer[] = [];
  const tasks = new SentryTasks({
    respond: (id, reply) => server.respond(id, reply),
    post: (fn) => server.post(fn),
    setTimer: (delayNs, fn) => {
      const t: Timer = { dueNs: host.monotonicNs() + delayNs, fn, live: true };
      timers.push(t);
      return () => { t.live = false; };
    },
  });
  // defer is never used: the client drains the server itself
  const server: ChannelServer = new ChannelServer(hub, (id, op, arg) => {
    const r = tasks.handle(id, op, arg);
    return r === null ? PENDING : r;
  }, { defer: () => {}, wires: SENTRY_WIRES, onBug: (err) => host.logBug('sentry loopback', err) });
  server.attach(0, channel);
  tasks.register(0, kernel, task, {
    isPaused: () => task.state === 'stopped',
    onExit: () => {},
  });
  // one step of progress: serve what is waiting, else fire the earliest timer, else
  // let the outside act; false if stuck for good
  let idle = 0;
  const pump = (): boolean => {
    server.drain();
    if (!server.isBusy(0)) return true;
    for (let i = timers.length - 1; i >= 0; i--) if (!timers[i]!.live) timers.splice(i, 1);
    if (timers.length > 0) {
      timers.sort((a, b) => (a.dueNs < b.dueNs ? -1 : a.dueNs > b.dueNs ? 1 : 0));
      const t = timers.shift()!;
      const now = host.monotonicNs();
      if (t.dueNs > now) host.sleepSync(t.dueNs - now);
      t.live = false;
      t.fn();
    } else {
      if (!opts.onStuck?.() || ++idle > 10_000) return false;
      tasks.wakeAll();
    }
    server.drain();
    if (!server.isBusy(0)) idle = 0;
    return true;
  };
  const client = new LoopbackClient(channel, hub, 0, pump);
  return { invoke: sentryInvoke((op, args) => client.call(op, args), memoryBytes), fixed: client };
}
