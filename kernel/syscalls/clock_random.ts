/** clock_res_get, clock_time_get and random_get. */
import type { ClockArgs } from '../abi/calls_misc.js';
import { ClockId } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';

/** Largest chunk `crypto.getRandomValues` accepts. */
const RANDOM_CHUNK = 65536;

/** `clock_res_get`: 1 ns for the wall and monotonic clocks, 1 µs for CPU clocks. */
export function clock_res_get(_task: Task, a: ClockArgs): bigint {
  switch (a.id) {
    case ClockId.REALTIME:
    case ClockId.MONOTONIC:
      return 1n;
    case ClockId.PROCESS_CPUTIME_ID:
    case ClockId.THREAD_CPUTIME_ID:
      return 1000n;
    default:
      throw E.INVAL;
  }
}

/** `clock_time_get`; the precision hint is ignored. CPU clocks count the task's own CPU time. */
export function clock_time_get(task: Task, a: ClockArgs): bigint {
  switch (a.id) {
    case ClockId.REALTIME:
      return task.host.realtimeNs();
    case ClockId.MONOTONIC:
      return task.host.monotonicNs();
    case ClockId.PROCESS_CPUTIME_ID:
    case ClockId.THREAD_CPUTIME_ID:
      return task.cpuTimeNs();
    default:
      throw E.INVAL;
  }
}

/** `random_get`: cryptographically secure bytes from the host. */
export function random_get(task: Task, a: { len: number }): Uint8Array {
  const out = new Uint8Array(a.len);
  for (let off = 0; off < a.len; off += RANDOM_CHUNK) {
    task.host.randomFill(out.subarray(off, Math.min(a.len, off + RANDOM_CHUNK)));
  }
  return out;
}
