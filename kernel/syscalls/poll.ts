/**
 * `poll_oneoff`: any number of clock and fd subscriptions. Ready events are
 * returned at once; otherwise the handler throws WouldBlock naming the fd
 * queues and the earliest clock deadline, and the platform waits (inline:
 * sleeps or pumps stdin; sentry: parks) and calls it again. Relative clock
 * timeouts are measured from the first attempt (`args.t0`), so restarts do
 * not move deadlines. Errors of one subscription (EBADF, EINVAL clock) come
 * back as that subscription's event.
 */
import type { PollArgs, PollEvent, Subscription } from '../abi/calls_misc.js';
import { ClockId, EventRwFlags, EventType, Rights, SubclockFlags } from '../abi/wasi.js';
import { E, SysError } from '../errno.js';
import type { Task } from '../task/task.js';
import { pollQueueOf, streamPollInfo } from '../task/stream_file.js';
import { FileType, type OpenFile } from '../vfs/types.js';
import { type WaitQueue, WouldBlock } from '../vfs/wait.js';

function fdEvent(task: Task, s: Extract<Subscription, { fd: number }>, queues: Set<WaitQueue>): PollEvent | null {
  const write = s.type === EventType.FD_WRITE;
  let f: OpenFile;
  try {
    f = task.fds.file(s.fd, write ? Rights.FD_WRITE : Rights.FD_READ);
  } catch (err) {
    if (err instanceof SysError) return { userdata: s.userdata, error: err.errno, type: s.type, nbytes: 0n, flags: 0 };
    throw err;
  }
  const ready = write ? f.writable() : f.readable();
  if (!ready && f.filetype !== FileType.REGULAR_FILE && f.filetype !== FileType.DIRECTORY) {
    const q = pollQueueOf(f, write);
    if (q !== undefined) queues.add(q); // once per queue: 8,192 subscriptions on one fd are one wait
    return null;
  }
  let nbytes = 0n;
  let flags = 0;
  if (f.filetype === FileType.REGULAR_FILE && !write) {
    try {
      const left = f.stat().size - f.tell();
      nbytes = left > 0n ? left : 0n;
    } catch {
      nbytes = 0n;
    }
  } else {
    const info = streamPollInfo(f);
    if (info.available !== null) nbytes = BigInt(info.available);
    if (info.hangup) flags = EventRwFlags.FD_READWRITE_HANGUP;
  }
  return { userdata: s.userdata, error: 0, type: s.type, nbytes, flags };
}

/** `poll_oneoff`. EINVAL with no subscriptions. */
export function poll_oneoff(task: Task, a: PollArgs): PollEvent[] {
  if (a.subs.length === 0) throw E.INVAL;
  const host = task.host;
  const now = host.monotonicNs();
  const t0 = (a.t0 ??= now);
  const events: PollEvent[] = [];
  const queues = new Set<WaitQueue>();
  let deadline: bigint | null = null;
  for (const s of a.subs) {
    if (s.type !== EventType.CLOCK) {
      const ev = fdEvent(task, s, queues);
      if (ev) events.push(ev);
      continue;
    }
    let due: bigint;
    if (s.clockId === ClockId.MONOTONIC) {
      due = s.flags & SubclockFlags.ABSTIME ? s.timeout : t0 + s.timeout;
    } else if (s.clockId === ClockId.REALTIME) {
      due = s.flags & SubclockFlags.ABSTIME ? now + (s.timeout - host.realtimeNs()) : t0 + s.timeout;
    } else {
      events.push({ userdata: s.userdata, error: E.INVAL.errno, type: EventType.CLOCK, nbytes: 0n, flags: 0 });
      continue;
    }
    if (now >= due) events.push({ userdata: s.userdata, error: 0, type: EventType.CLOCK, nbytes: 0n, flags: 0 });
    else if (deadline === null || due < deadline) deadline = due;
  }
  if (events.length > 0) return events;
  throw new WouldBlock([...queues], deadline);
}
