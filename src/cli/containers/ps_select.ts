/**
 * Which containers `ps` shows and in what order: podman's `--filter`
 * (id, name, status, label, ancestor, exited; the same key given twice
 * matches either, different keys must all match), `--sort`, `-n` and `-l`.
 */
import type { RuncState } from '../../runtime/detached/state.js';
import { stoppedExitCode } from '../../runtime/lifecycle/wait.js';
import { CliExit, ExitCode } from '../exit.js';
import { labelsOf } from './labels.js';
import { Annotation, nameOf } from './store.js';

/** Filter keys `ps --filter` takes. */
export const PS_FILTER_KEYS = ['id', 'name', 'status', 'label', 'ancestor', 'exited'] as const;

/** Sort keys `ps --sort` takes. */
export const PS_SORT_KEYS = ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'] as const;

const STATUSES = new Set(['created', 'running', 'paused', 'exited', 'stopped', 'unknown', 'removing', 'stopping']);

/** podman's state word for a state on disk. */
export function stateWord(st: RuncState): string {
  return st.status === 'stopped' ? 'exited' : st.status;
}

/** One predicate per `--filter KEY=VALUE`; 125 naming the fault for a bad one. */
function predicate(spec: string): { key: string; test: (st: RuncState) => boolean } {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  const value = eq < 0 ? '' : spec.slice(eq + 1);
  if (!(PS_FILTER_KEYS as readonly string[]).includes(key)) {
    throw new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(spec)}: ${JSON.stringify(key)} is not a filter; use ${PS_FILTER_KEYS.join(', ')} (KEY=VALUE)`);
  }
  if (eq < 0 || (value === '' && key !== 'label')) throw new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(spec)}: expected ${key}=VALUE`);
  switch (key) {
    case 'id': return { key, test: (st) => st.id.startsWith(value) };
    case 'name': {
      let re: RegExp;
      try {
        re = new RegExp(value);
      } catch {
        throw new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(spec)}: not a regular expression`);
      }
      return { key, test: (st) => re.test(nameOf(st)) };
    }
    case 'status':
      if (!STATUSES.has(value)) throw new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(spec)}: status is one of created, running, paused, exited, unknown`);
      return { key, test: (st) => stateWord(st) === (value === 'stopped' ? 'exited' : value) };
    case 'label': {
      const leq = value.indexOf('=');
      const k = leq < 0 ? value : value.slice(0, leq);
      return { key, test: (st) => { const l = labelsOf(st); return k in l && (leq < 0 || l[k] === value.slice(leq + 1)); } };
    }
    case 'ancestor': {
      const img = (st: RuncState) => st.annotations[Annotation.IMAGE] ?? '';
      // podman matches the name as given, with or without its tag and registry
      return { key, test: (st) => { const i = img(st); return i === value || i === `${value}:latest` || i.endsWith(`/${value}`) || i.endsWith(`/${value}:latest`); } };
    }
    default: {
      if (!/^\d+$/.test(value)) throw new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(spec)}: exited takes an exit code`);
      return { key, test: (st) => st.status === 'stopped' && stoppedExitCode(st) === Number(value) };
    }
  }
}

/** The containers `filters` select (same key: any; different keys: all). */
export function filterStates(states: readonly RuncState[], filters: readonly string[]): RuncState[] {
  const byKey = new Map<string, Array<(st: RuncState) => boolean>>();
  for (const f of filters) {
    const p = predicate(f);
    byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.test]);
  }
  return states.filter((st) => [...byKey.values()].every((tests) => tests.some((t) => t(st))));
}

/** Sort as `--sort KEY` (created and runningfor: newest first, as podman); 125 for an unknown key. */
export function sortStates(states: RuncState[], key: string, command: (st: RuncState) => string): RuncState[] {
  const created = (st: RuncState) => Date.parse(st.created);
  const by = (f: (st: RuncState) => string) => states.sort((a, b) => f(a).localeCompare(f(b)) || created(b) - created(a));
  switch (key) {
    case 'created': case 'runningfor': case 'size': return states.sort((a, b) => created(b) - created(a));
    case 'command': return by(command);
    case 'id': return by((s) => s.id);
    case 'image': return by((s) => s.annotations[Annotation.IMAGE] ?? '');
    case 'names': return by(nameOf);
    case 'status': return by(stateWord);
    default: throw new CliExit(ExitCode.RUNTIME, `invalid --sort ${JSON.stringify(key)}: use ${PS_SORT_KEYS.join(', ')}`);
  }
}
