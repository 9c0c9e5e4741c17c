/**
 * Detached containers of `wasmvisor` (`run -d`, `ps`, `logs`, `exec`,
 * `stop`, `kill`, `rm`, `wait`): each is a wasmvisor-runc container (one
 * sandbox process, `state.json`, `ctl.sock`; see src/runtime/detached/)
 * whose state directory is `STORE/containers/ID/`, so that it works
 * rootless. What podman shows beyond runc's state (name, image, command)
 * rides in the state's annotations; the container's stdout and stderr go
 * to `ctr.log` beside it. Containers are named by full id, name, or a
 * unique id prefix. The operations on them are the library's
 * (src/runtime/lifecycle/); this file only finds them by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveStoreRoot } from '../../image/content/store_path.js';
import type { OciConfig } from '../../runtime/config.js';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';

/** Annotations of a `wasmvisor run -d` container. */
export const Annotation = {
  NAME: 'org.wasmvisor.name',
  /** The FILE.wasm or IMAGE as given to run. */
  IMAGE: 'org.wasmvisor.image',
  /** The command line, JSON array. */
  COMMAND: 'org.wasmvisor.command',
} as const;

/** The log file in a container's directory. */
export const LOG_FILE = 'ctr.log';

/** `STORE/containers`: the state root of detached containers (the store from `--root`, `$WASMVISOR_ROOT`, `$XDG_DATA_HOME`). */
export function containersRoot(cmd: Command): string {
  return join(resolveStoreRoot((cmd.optsWithGlobals() as { root?: string }).root), 'containers');
}

/** A container's name (its id's first 12 characters if it has none). */
export function nameOf(st: RuncState): string {
  return st.annotations[Annotation.NAME] ?? st.id.slice(0, 12);
}

/** The container `ref` names (id, name, or unique id prefix), refreshed; undefined if none; 125 if the prefix is ambiguous. */
export function lookupContainer(root: string, ref: string): RuncState | undefined {
  const all = listStates(root);
  const exact = all.find((s) => s.id === ref) ?? all.find((s) => s.annotations[Annotation.NAME] === ref);
  if (exact) return exact;
  const byPrefix = ref === '' ? [] : all.filter((s) => s.id.startsWith(ref));
  if (byPrefix.length > 1) throw new CliExit(ExitCode.RUNTIME, `${ref}: more than one container has an id starting so: give more of the id`);
  return byPrefix[0];
}

/** The line for a container `ref` that does not exist. */
export function noSuchContainer(ref: string): string {
  return `no such container ${ref}: see wasmvisor ps -a`;
}

/** The container `ref` names (id, name, or unique id prefix), refreshed; 125 "no such container" otherwise. */
export function findContainer(root: string, ref: string): RuncState {
  const st = lookupContainer(root, ref);
  if (!st) throw new CliExit(ExitCode.RUNTIME, noSuchContainer(ref));
  return st;
}

/** The containers `COMMAND [-a] [CONTAINER...]` acts on: those given, or with `all` the ids of every running or paused one (125 for both or neither). */
export function allOrGiven(command: string, root: string, given: string[], all: boolean | undefined): string[] {
  if (all && given.length > 0) throw new CliExit(ExitCode.RUNTIME, `${command} --all takes no container names or ids`);
  if (all) return listStates(root).filter((s) => s.status === 'running' || s.status === 'paused').map((s) => s.id);
  if (given.length === 0) throw new CliExit(ExitCode.RUNTIME, `${command} needs at least one container name or id, or --all`);
  return given;
}

/** The OCI config `run -d` wrote for container `id` (empty if unreadable). */
export function containerConfig(root: string, id: string): OciConfig {
  try {
    return JSON.parse(readFileSync(join(root, id, 'config.json'), 'utf8')) as OciConfig;
  } catch {
    return {};
  }
}
