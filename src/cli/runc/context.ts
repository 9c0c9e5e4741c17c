/**
 * What every wasmvisor-runc command shares: the global flags (`--root`,
 * `--log`, `--log-format`, `--debug`, `--systemd-cgroup`, given before the
 * command as runc takes them), error logging as runc does it (one line on
 * stderr; with `--log`, a `level=error` record that containerd's shim
 * reports), and the status guard check over a container's state on disk.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { dirname, join, basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { requireState, ContainerError, type ContainerStatus } from '../../runtime/status.js';
import { call } from '../../runtime/detached/control.js';
import type { LogTarget } from '../../runtime/detached/log.js';
import { DetachedError, asStatus, containerDir, loadState, socketPath, type RuncState } from '../../runtime/detached/state.js';

/** Default state directory, as runc's /run/runc. */
export const DEFAULT_ROOT = '/run/wasmvisor-runc';

/** The global flags. */
export interface GlobalFlags extends LogTarget {
  root?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
}

/** The state directory the command was given (absolute). */
export function rootOf(cmd: Command): string {
  const g = cmd.optsWithGlobals<GlobalFlags>();
  return resolve(g.root ?? DEFAULT_ROOT);
}

/** Throw WRONG_STATE (the library's guard and message) unless `guard` allows `op` on `st`. */
export function guard(guardFn: (s: ContainerStatus) => boolean, st: RuncState, op: string, hint: string): void {
  try {
    requireState(guardFn, asStatus(st), st.id, op, hint);
  } catch (err) {
    if (err instanceof ContainerError) throw new DetachedError('WRONG_STATE', err.message);
    throw err;
  }
}

/** Write a pid file atomically, as runc does (containerd reads it as soon as the command exits). */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}

/**
 * The shape of start, pause and resume: refresh the state, check the
 * guard, and ask the container's sandbox process to act (it saves the
 * state).
 */
export async function askSandbox(
  root: string, id: string, op: 'start' | 'pause' | 'resume', guardFn: (s: ContainerStatus) => boolean, hint: string,
): Promise<void> {
  guard(guardFn, loadState(root, id), op, hint);
  await call(socketPath(containerDir(root, id)), { op });
}
