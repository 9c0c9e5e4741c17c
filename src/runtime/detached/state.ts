/**
 * On-disk state of a detached container (wasmvisor-runc): one directory
 * `ROOT/ID/` per container holding `state.json` (runc's state fields) and
 * the sandbox process's control socket. The sandbox process owns the file
 * and rewrites it at each transition; readers refresh it against the
 * process (a pid that is gone, or a zombie, means `stopped`).
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus } from '../status.js';

/** OCI runtime-spec version that state and features report. */
export const OCI_VERSION = '1.2.0';

/** Status names on disk (runc's). */
export type RuncStatus = 'created' | 'running' | 'paused' | 'stopped';

/** `state.json`: the fields `runc state` prints, plus what the runtime needs. */
export interface RuncState {
  ociVersion: string;
  id: string;
  status: RuncStatus;
  /** Host pid of the sandbox process (0 once stopped, as runc prints). */
  pid: number;
  bundle: string;
  rootfs: string;
  /** ISO 8601 creation time. */
  created: string;
  owner: string;
  annotations: Record<string, string>;
  /** Start time of `pid` (clock ticks since boot, /proc/PID/stat field 22): tells a reused pid apart. */
  pidStart?: number;
  /** Exit code once the sandbox recorded it. */
  exitCode?: number;
  /** ISO 8601 time the container ended, once the sandbox recorded it. */
  finished?: string;
  /** Host pids of the relays of running execs (see exec_relay.ts). */
  execPids?: number[];
  /** A container of a Kubernetes pod served by the pod's sandbox process: the pod sandbox's id (`pid` is the container's stand-in; pod_standin.ts). */
  pod?: string;
  /** The container runs on the thread of the `run` that waits for it (lifecycle/run_foreground.ts): no control socket; `pid` is that process, signalled directly. */
  inline?: boolean;
}

/** Errors of detached containers; `code` is stable, the message says what to do. */
export class DetachedError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'EXISTS' | 'BAD_ID' | 'BAD_ARG' | 'WRONG_STATE' | 'BAD_BUNDLE' | 'CONTROL' | 'UNSUPPORTED' | 'NO_MODULE' | 'NOT_WASM', message: string) {
    super(message);
    this.name = 'DetachedError';
  }
}

/** Container ids as runc accepts them. */
const ID_RE = /^[\w+\-.]+$/;

/** Throw BAD_ID unless `id` is a usable container id. */
export function checkId(id: string): void {
  if (!ID_RE.test(id) || id === '.' || id === '..') {
    throw new DetachedError('BAD_ID', `invalid container id ${JSON.stringify(id)}: use letters, digits, and _ + - .`);
  }
}

/** `ROOT/ID`: the container's state directory. */
export function containerDir(root: string, id: string): string {
  checkId(id);
  return join(root, id);
}

/** Path of the control socket in a container's directory. */
export function socketPath(dir: string): string {
  return join(dir, 'ctl.sock');
}

/** The process's state letter and start time from /proc, or null if it does not exist. */
function procStat(pid: number): { state: string; start: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parens: fields resume after the last ')'
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, start: Number(rest[19]) };
  } catch {
    return null;
  }
}

/** Start time of a live pid (for `pidStart`), or undefined. */
export function pidStartTime(pid: number): number | undefined {
  return procStat(pid)?.start;
}

/** True while `pid` runs (not gone, not a zombie, and the same process as `start` when given). */
export function pidAlive(pid: number, start?: number): boolean {
  if (!(pid > 0)) return false;
  const st = procStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return start === undefined || st.start === start;
}

/** Write `state.json` atomically (temp file, then rename). */
export function saveState(dir: string, st: RuncState): void {
  const tmp = join(dir, `.state.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(st));
  renameSync(tmp, join(dir, 'state.json'));
}

/**
 * Read and refresh a container's state: `stopped` (pid 0) once its
 * sandbox process is gone. Throws NOT_FOUND with runc's wording, which
 * containerd's shim matches ("does not exist").
 */
export function loadState(root: string, id: string): RuncState {
  const dir = containerDir(root, id);
  let st: RuncState;
  try {
    st = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RuncState;
  } catch {
    throw new DetachedError('NOT_FOUND', `container ${id} does not exist (under ${root}); see list`);
  }
  if (st.status !== 'stopped' && !pidAlive(st.pid, st.pidStart)) st.status = 'stopped';
  if (st.status === 'stopped') st.pid = 0;
  return st;
}

/** Every container's refreshed state under `root` (directories without a readable state are skipped). */
export function listStates(root: string): RuncState[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: RuncState[] = [];
  for (const n of names.sort()) {
    try {
      out.push(loadState(root, n));
    } catch {
      // half-created or foreign entries: not a container
    }
  }
  return out;
}

/** Create `ROOT/ID/` (EXISTS if a container has it). */
export function makeContainerDir(root: string, id: string): string {
  const dir = containerDir(root, id);
  mkdirSync(root, { recursive: true, mode: 0o711 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw new DetachedError('EXISTS', `container with id ${id} exists already: delete it first, or choose another id`);
    throw err;
  }
  return dir;
}

/** Remove a container's directory. */
export function removeContainerDir(root: string, id: string): void {
  rmSync(containerDir(root, id), { recursive: true, force: true });
}

/** The library's status union for a state on disk (so its guards, `canStart` and the rest, apply). */
export function asStatus(st: RuncState): ContainerStatus {
  switch (st.status) {
    case 'created': return { state: 'created' };
    case 'running': return { state: 'running', pid: st.pid };
    case 'paused': return { state: 'paused', pid: st.pid };
    case 'stopped': return { state: 'stopped', result: { exitCode: st.exitCode ?? 0, oomKilled: false } };
  }
}
