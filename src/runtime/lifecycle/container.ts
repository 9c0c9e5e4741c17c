/**
 * A detached container as its lifecycle operations see it: `ROOT/ID/`
 * holding `state.json` (runc's fields; see ../detached/state.ts) and the
 * control socket of the container's sandbox process. Each operation in
 * this folder has youki's shape (`container_kill.rs`): load the container
 * (which refreshes its status against the sandbox process), check the
 * status guard, act, and let the state be saved. The sandbox process owns
 * `state.json` and saves each transition itself; `delete` removes it.
 *
 * Every operation fails with one error class, `DetachedError`, whose
 * `code` is stable (NOT_FOUND, EXISTS, BAD_ID, BAD_ARG, WRONG_STATE,
 * BAD_BUNDLE, CONTROL, UNSUPPORTED) and whose message says what to do;
 * the CLIs map it to their exit codes (wasmvisor-runc: 1 and a
 * `level=error` log record; wasmvisor: 125).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ContainerError, requireState, type ContainerStatus } from '../status.js';
import { call, type ControlReply, type ControlRequest } from '../detached/control.js';
import { DetachedError, asStatus, containerDir, loadState, socketPath, type RuncState, type RuncStatus } from '../detached/state.js';

/** One detached container, loaded from `ROOT/ID/state.json` and refreshed against its sandbox process. */
export class DetachedContainer {
  private constructor(readonly root: string, readonly id: string, private st: RuncState) {}

  /** Load container `id` under `root`; NOT_FOUND ("container ID does not exist", which containerd's shim matches) if it has no state. */
  static load(root: string, id: string): DetachedContainer {
    return new DetachedContainer(root, id, loadState(root, id));
  }

  /** Its state as last refreshed (`stopped` with pid 0 once its sandbox process is gone). */
  get state(): Readonly<RuncState> {
    return this.st;
  }

  /** Its status name on disk (runc's). */
  get status(): RuncStatus {
    return this.st.status;
  }

  /** `ROOT/ID`: its state directory. */
  get dir(): string {
    return containerDir(this.root, this.id);
  }

  /** Reread `state.json` (NOT_FOUND once deleted). */
  refresh(): this {
    this.st = loadState(this.root, this.id);
    return this;
  }

  /** The library's status union for its state, so that `canStart` and the other guards apply. */
  asStatus(): ContainerStatus {
    return asStatus(this.st);
  }

  /** Throw WRONG_STATE ("cannot OP container ID: it is S; HINT") unless `guardFn` allows `op` now. */
  guard(guardFn: (s: ContainerStatus) => boolean, op: string, hint: string): this {
    try {
      requireState(guardFn, this.asStatus(), this.id, op, hint);
    } catch (err) {
      if (err instanceof ContainerError) throw new DetachedError('WRONG_STATE', err.message);
      throw err;
    }
    return this;
  }

  /** Send one request to its sandbox process; WRONG_STATE with the sandbox's words if it refused, CONTROL if it cannot be reached. */
  ask(req: ControlRequest): Promise<ControlReply & { ok: true }> {
    return call(this.socket, this.pod === undefined ? req : { ...req, container: this.id });
  }

  /** The pod sandbox whose process serves this container (a Kubernetes pod's container; ../detached/pod_standin.ts). */
  get pod(): string | undefined {
    return this.st.pod;
  }

  /** Path of its sandbox process's control socket (a pod member's: the pod's, with requests naming it). */
  get socket(): string {
    return socketPath(this.pod === undefined ? this.dir : containerDir(this.root, this.pod));
  }
}

/** Write a pid file atomically, as runc does (containerd reads it as soon as the command exits). */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}
