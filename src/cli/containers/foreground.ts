/**
 * Foreground containers in the store: `wasmvisor run` without `-d` runs
 * the container in this process, and records it under
 * `STORE/containers/ID/` as a detached one is (state.json with this
 * process's pid, the name, image and command annotations, config.json),
 * so that `ps` lists it while it runs and, as podman does, `ps -a` lists
 * it after it exited unless `--rm` was given. A foreground container has
 * no control socket: stop and kill signal its process (see `signalForeground`).
 */
import { randomBytes } from '../../host/node_random.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciConfig } from '../../runtime/config.js';
import { OCI_VERSION, makeContainerDir, pidStartTime, removeContainerDir, saveState, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { Annotation } from './store.js';
import { checkName, takenNames, freshName } from './names.js';
import { saveRecreate, type Recreate } from './recreate_file.js';

/** Annotation (`true`) of a container run in the foreground (no sandbox process, no control socket). */
export const FOREGROUND = 'org.wasmvisor.foreground';

/** A registered foreground container. */
export interface ForegroundEntry {
  id: string;
  name: string;
  /** Record its end: stopped with `code` (removed instead when `rm`). */
  finish(code: number): void;
  /** Remove it (the run failed before the workload started). */
  discard(): void;
}

/** What a foreground container is recorded with. */
export interface ForegroundSpec {
  root: string;
  name?: string;
  image: string;
  config: OciConfig;
  rm: boolean;
  /** Extra annotations (labels, restart policy). */
  annotations?: Record<string, string>;
  /** What `start` needs to run it again (recreate.ts). */
  recreate: Recreate;
}

/** True for a container run in the foreground by `wasmvisor run`. */
export function isForeground(st: RuncState): boolean {
  return st.annotations[FOREGROUND] === 'true';
}

/** Record a foreground container as running in this process; 125 with one line if the store cannot hold it. */
export function registerForeground(s: ForegroundSpec): ForegroundEntry {
  const taken = takenNames(s.root);
  if (s.name !== undefined) checkName(s.name, taken);
  const name = s.name ?? freshName(taken);
  const id = randomBytes(32).toString('hex');
  let dir: string;
  const annotations: Record<string, string> = {
    ...(s.annotations ?? {}),
    [Annotation.NAME]: name,
    [Annotation.IMAGE]: s.image,
    [Annotation.COMMAND]: JSON.stringify(s.config.process?.args ?? []),
    [FOREGROUND]: 'true',
  };
  const st: RuncState = {
    ociVersion: OCI_VERSION, id, status: 'running', pid: process.pid, bundle: '', rootfs: '', created: new Date().toISOString(), owner: '',
    annotations, pidStart: pidStartTime(process.pid),
  };
  try {
    dir = makeContainerDir(s.root, id);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...s.config, annotations }));
    st.bundle = dir;
    saveRecreate(dir, s.recreate);
    saveState(dir, st);
  } catch (err) {
    removeContainerDir(s.root, id);
    throw new CliExit(ExitCode.RUNTIME, `cannot record the container under ${s.root}: ${(err as Error).message.split('\n')[0]} (is --root a writable directory?)`);
  }
  return {
    id,
    name,
    finish(code: number) {
      try {
        if (s.rm) removeContainerDir(s.root, id);
        // rename may have changed the annotations meanwhile: keep what is on disk
        let now = st;
        try {
          now = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RuncState;
        } catch {
          // unreadable: ours
        }
        saveState(dir, { ...st, annotations: now.annotations, status: 'stopped', pid: 0, exitCode: code, finished: new Date().toISOString() });
      } catch {
        // removed meanwhile (rm -f): nothing to record
      }
    },
    discard() {
      removeContainerDir(s.root, id);
    },
  };
}

/** 125 with one line for an operation a foreground container (run without -d, still running) has no control socket for. */
export function requireDetached(st: RuncState, ref: string, op: string): void {
  if (isForeground(st) && st.status !== 'stopped') {
    throw new CliExit(ExitCode.RUNTIME, `container ${ref} runs in the foreground of its wasmvisor run process (pid ${st.pid}), which has no control socket: ${op} works on detached containers (run -d, create); stop and kill work on both`);
  }
}
