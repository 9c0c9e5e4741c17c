import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { Signal } from '../../../kernel/abi/wasi.js';
import { TaskExit, exitCodeOf } from '../../../kernel/task/exit.js';
import { makeEnv } from './harness.js';

function exitOf(fn: () => unknown): TaskExit {
  try {
    fn();
  } catch (e) {
    if (e instanceof TaskExit) return e;
    throw e;
  }
  throw new Error('did not exit');
}

describe('proc_exit / proc_raise / sched_yield', () => {
  it('proc_exit unwinds with the code reduced to 8 bits', () => {
    // a fresh task each time: on the sentry platform an ended task stays ended
    expect(exitOf(() => makeEnv().sys.proc_exit(3)).status).toEqual({ code: 3 });
    expect(exitOf(() => makeEnv().sys.proc_exit(256 + 7)).status.code).toBe(7);
    expect(exitOf(() => makeEnv().sys.proc_exit(-1)).status.code).toBe(255);
  });

  it('terminating signals end the task with 128+n (Linux numbering)', () => {
    const term = exitOf(() => makeEnv().sys.proc_raise(Signal.TERM));
    expect(term.status.signal).toBe(Signal.TERM);
    expect(exitCodeOf(term.status)).toBe(143);
    expect(exitCodeOf(exitOf(() => makeEnv().sys.proc_raise(Signal.KILL)).status)).toBe(137);
    expect(exitCodeOf(exitOf(() => makeEnv().sys.proc_raise(Signal.ABRT)).status)).toBe(134);
    expect(exitCodeOf(exitOf(() => makeEnv().sys.proc_raise(Signal.SYS)).status)).toBe(159); // WASI 30 = Linux 31
  });

  it('ignored signals, CONT and NONE return 0; STOP continues at once on the inline platform', () => {
    const env = makeEnv();
    env.task.contQueue.syncPump = () => { env.task.state = 'running'; return true; };
    for (const s of [Signal.NONE, Signal.CHLD, Signal.URG, Signal.WINCH, Signal.CONT, Signal.STOP, Signal.TSTP]) {
      expect(env.sys.proc_raise(s)).toBe(0);
    }
    expect(env.task.state).toBe('running');
  });

  it('an unknown signal is EINVAL', () => {
    const env = makeEnv();
    expect(env.sys.proc_raise(31)).toBe(Errno.INVAL);
    expect(env.sys.proc_raise(255)).toBe(Errno.INVAL);
  });

  it('sched_yield succeeds', () => {
    expect(makeEnv().sys.sched_yield()).toBe(0);
  });
});
