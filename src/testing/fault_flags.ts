/**
 * `wasmvisor run --inject RULE` (repeatable): a fault rule on the command
 * line. Grammar (INJECT_HELP is what `run --help` prints):
 *
 *     CALL:ACTION[:KEY=VALUE]...
 *     path_open:ENOENT:nth=3:path=/data/*
 *     fd_write:short=1:fd=1
 *     fd_read:delay=50
 *     *:EIO:probability=0.01:seed=7
 *
 * Isomorphic; the rule is checked by kernel/syscalls/faults.ts.
 */
import { errnoByName, type FaultRule } from '../../kernel/syscalls/faults.js';

/** The grammar, for `run --help` and the README. */
export const INJECT_HELP = `Fault injection (--inject, repeatable): CALL:ACTION[:KEY=VALUE]...
  CALL    a WASI call (path_open, fd_write, fd_read...) or * for any
  ACTION  an errno name (ENOENT, EIO, ENOSPC...): the call fails with it, nothing done;
          short=N: a read or write moves at most N bytes; delay=MS: the call waits MS ms first
  KEYS    nth=N (only the Nth matching call, from 1), path=GLOB (container path: * within one
          component, ** across, ? one character; no ':'), fd=N, probability=P (0 to 1,
          drawn from seed=N, default 1: the same calls fail on every run)
  e.g. --inject 'path_open:ENOENT:nth=3:path=/data/*' --inject fd_write:short=1:fd=1
  Injected calls are marked in --strace. A full disk: --tmpfs /data:size=1m, or fd_write:ENOSPC.`;

/** Why an --inject rule is refused (the CLI exits 125 with this message). */
export class InjectFlagError extends Error {
  readonly code = 'BAD_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'InjectFlagError';
  }
}

function num(rule: string, key: string, v: string, int: boolean): number {
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw new InjectFlagError(`--inject ${rule}: ${key}=${v} is not ${int ? 'a whole number' : 'a number'}`);
  return n;
}

/** One `--inject` value as a fault rule; throws InjectFlagError naming what is wrong. */
export function parseInject(spec: string): FaultRule {
  const parts = spec.split(':');
  const call = parts[0] ?? '';
  if (call === '' || parts.length < 2) throw new InjectFlagError(`--inject ${spec}: give CALL:ACTION, such as path_open:ENOENT or fd_write:short=1`);
  if (call !== '*' && !/^[a-z_]+$/.test(call)) throw new InjectFlagError(`--inject ${spec}: ${call} is not a WASI call name (path_open, fd_write...) or *`);
  const rule: FaultRule = { call };
  const action = parts[1]!;
  if (action.startsWith('short=')) rule.short = num(spec, 'short', action.slice(6), true);
  else if (action.startsWith('delay=')) rule.delayMs = num(spec, 'delay', action.slice(6).replace(/ms$/, ''), false);
  else {
    try {
      errnoByName(action);
    } catch (e) {
      throw new InjectFlagError(`--inject ${spec}: ${(e as Error).message}`);
    }
    rule.errno = action;
  }
  for (const kv of parts.slice(2)) {
    const i = kv.indexOf('=');
    const key = i < 0 ? kv : kv.slice(0, i);
    const v = i < 0 ? '' : kv.slice(i + 1);
    switch (key) {
      case 'nth': rule.nth = num(spec, key, v, true); break;
      case 'fd': rule.fd = num(spec, key, v, true); break;
      case 'probability': rule.probability = num(spec, key, v, false); break;
      case 'seed': rule.seed = num(spec, key, v, true); break;
      case 'path':
        if (v === '') throw new InjectFlagError(`--inject ${spec}: path= needs a glob such as /data/*`);
        rule.path = v;
        break;
      case 'errno':
        rule.errno = v;
        break;
      default:
        throw new InjectFlagError(`--inject ${spec}: unknown key ${key}; use nth=, path=, fd=, probability=, seed= (see run --help)`);
    }
  }
  return rule;
}
