/**
 * The start-up path of the commands containerd's shim runs for every
 * container (`create [--bundle B] [--pid-file F] [--console-socket S] ID`,
 * `start ID`, `state ID`, `kill [--all] ID [SIGNAL]`, `delete [--force] ID`,
 * after runc's global flags): each is a process start, so this entry
 * parses those plain command lines by hand and loads only what they run
 * (dist/bundle/wasmvisor_runc_light.cjs: no commander, no kernel). Any other command line (help, another flag,
 * a typo) resolves to null and bin/wasmvisor-runc.js runs the full
 * program (main.ts), whose parse and words are the reference; a plain
 * line gives the same output, errors (one line, a `--log` record) and
 * exit codes as it.
 */
import { resolve } from 'node:path';
import { logRecord, type LogTarget } from '../../runtime/detached/log.js';
import { loadState } from '../../runtime/detached/state.js';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { killContainer } from '../../runtime/lifecycle/kill.js';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { DEFAULT_ROOT } from './context.js';
import { publicState } from './state.js';

/** A plain command line of one of the four commands. */
interface Plain extends LogTarget {
  root: string;
  command: 'create' | 'run' | 'start' | 'state' | 'kill' | 'delete';
  id: string;
  signal: string;
  force: boolean;
  all: boolean;
  /** create's. */
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
}

/** create's flags (create.ts's withCreateFlags): those taking a value, by name, and those taking none. */
const CREATE_VALUED: Record<string, 'bundle' | 'pidFile' | 'consoleSocket' | null> = {
  '--bundle': 'bundle', '-b': 'bundle', '--pid-file': 'pidFile', '--console-socket': 'consoleSocket', '--preserve-fds': null,
};
const CREATE_BARE = new Set(['--no-pivot', '--no-new-keyring']);

/** create's words after the command: its flags and the one id, or null. */
function parseCreate(rest: readonly string[]): { id: string; bundle?: string; pidFile?: string; consoleSocket?: string } | null {
  const out: { id?: string; bundle?: string; pidFile?: string; consoleSocket?: string } = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('-')) {
      if (out.id !== undefined) return null;
      out.id = a;
      continue;
    }
    if (CREATE_BARE.has(a)) continue;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!(name in CREATE_VALUED)) return null;
    const value = eq > 0 ? a.slice(eq + 1) : rest[++i];
    if (value === undefined) return null;
    const key = CREATE_VALUED[name];
    if (key) out[key] = value;
  }
  return out.id === undefined ? null : { ...out, id: out.id };
}

/** Global flags that take a value, and those that take none (runc's, as program.ts declares them). */
const VALUED = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);
const BARE = new Set(['--systemd-cgroup']);

/** `argv` as a plain command line, or null when the full program must parse it. */
export function parsePlain(argv: readonly string[]): Plain | null {
  const g: Record<string, string> = {};
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (BARE.has(a)) continue;
    if (!VALUED.has(name)) return null;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) return null;
    g[name] = value;
  }
  const fmt = g['--log-format'] ?? 'text';
  if (fmt !== 'text' && fmt !== 'json') return null;
  const command = argv[i];
  const rest = argv.slice(i + 1);
  const flags = rest.filter((a) => a.startsWith('-'));
  const words = rest.filter((a) => !a.startsWith('-'));
  const base = { root: resolve(g['--root'] ?? DEFAULT_ROOT), log: g['--log'], logFormat: fmt, signal: 'SIGTERM', force: false, all: false };
  // run's plain line is create's (no --detach): run_main.ts's
  if (command === 'create' || command === 'run') {
    const c = parseCreate(rest);
    return c && { ...base, command, ...c };
  }
  if ((command === 'start' || command === 'state') && flags.length === 0 && words.length === 1) return { ...base, command, id: words[0]! };
  if (command === 'kill' && flags.every((f) => f === '--all' || f === '-a') && (words.length === 1 || words.length === 2)) {
    return { ...base, command, id: words[0]!, signal: words[1] ?? 'SIGTERM', all: flags.length > 0 };
  }
  if (command === 'delete' && flags.every((f) => f === '--force' || f === '-f') && words.length === 1) {
    return { ...base, command, id: words[0]!, force: flags.length > 0 };
  }
  return null;
}

/** A failed command as the full program reports it: one line on stderr, a record in `--log`; exit code 1. */
export function failed(t: LogTarget, err: unknown): number {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  process.stderr.write(`wasmvisor-runc: ${msg}\n`);
  logRecord(t, 'error', msg);
  return 1;
}

/** Run a plain command line; resolves to the exit code, or null when `argv` is not one (the full program runs it). */
export async function main(argv: string[]): Promise<number | null> {
  const p = parsePlain(argv);
  if (p === null || p.command === 'run') return null;
  try {
    if (p.command === 'create') {
      await createContainer({ root: p.root, id: p.id, bundle: p.bundle ?? '.', pidFile: p.pidFile, consoleSocket: p.consoleSocket, log: { log: p.log, logFormat: p.logFormat } });
    } else if (p.command === 'start') await startContainer(p.root, p.id);
    else if (p.command === 'state') process.stdout.write(`${JSON.stringify(publicState(loadState(p.root, p.id)), null, 2)}\n`);
    else if (p.command === 'kill') await killContainer(p.root, p.id, p.signal, { all: p.all });
    else await deleteContainer(p.root, p.id, { force: p.force });
    return 0;
  } catch (err) {
    return failed(p, err);
  }
}
