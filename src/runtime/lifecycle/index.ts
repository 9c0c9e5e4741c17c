/**
 * Lifecycle operations of detached containers (one sandbox process each,
 * state under `ROOT/ID/`), one file per operation as youki has them: load
 * and refresh the state, check the status guard, act, save. The CLIs
 * (`wasmvisor-runc`, and `wasmvisor`'s run -d, ps, exec, stop, kill, rm,
 * wait) only parse flags and call these.
 */
export { DetachedContainer, writePidFile } from './container.js';
export { createContainer, type CreateOptions, type CreatedContainer, type OwnBundle } from './create.js';
export { startContainer } from './start.js';
export { pauseContainer, resumeContainer } from './pause.js';
export { killContainer, type KillOptions } from './kill.js';
export { stopContainer, killNow } from './stop.js';
export { deleteContainer, type DeleteOptions } from './delete.js';
export { execInContainer, type ExecInOptions } from './exec.js';
export { runContainer, type RunOptions } from './run.js';
export { containerStats, type ContainerStats } from './stats.js';
export { containerTop, containerDiff, containerLayer } from './top.js';
export { waitContainer, reloadState, stoppedExitCode, pidGone } from './wait.js';
export { DetachedError, listStates, type RuncState, type RuncStatus } from '../detached/state.js';
