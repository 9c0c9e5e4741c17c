/**
 * Signals as runc's command line takes them: Linux numbers (`15`, as
 * containerd's shim sends) or names with or without `SIG` (`TERM`,
 * `SIGTERM`). The container library takes names; numbers are mapped by
 * Linux numbering here, since the kernel's own (WASI) numbering differs
 * past SIGUSR1.
 */
import { constants } from 'node:os';
import { DetachedError } from './state.js';

const SIGNALS = constants.signals as Record<string, number>;

/** Linux number of a signal name (`SIGTERM`), or undefined. */
export function signalNum(name: string): number | undefined {
  return SIGNALS[name];
}

/** The `SIGNAME` of a runc signal argument; throws with the accepted forms. */
export function parseSignal(arg: string): string {
  const s = arg.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n && k !== 'SIGIOT' && k !== 'SIGPOLL');
    if (name) return name;
  } else {
    const name = s.startsWith('SIG') ? s : `SIG${s}`;
    if (SIGNALS[name] !== undefined) return name;
  }
  throw new DetachedError('BAD_ARG', `invalid signal ${JSON.stringify(arg)}: give a number (15) or a name (TERM, SIGTERM)`);
}
