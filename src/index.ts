/**
 * wasmvisor, the library: `Runtime` creates containers (OCI lifecycle,
 * exec, stats, diff, limits) on the sentry platform; the lifecycle
 * operations of detached containers (one sandbox process each, state under
 * a root directory, as wasmvisor-runc and `wasmvisor run -d` keep them)
 * are functions over that root: createContainer, startContainer, ….
 */
export { Runtime, type RuntimeOptions, type CreateOptions } from './runtime/runtime.js';
export { Container, type ExecOptions, type ModuleSource, signalNumber } from './runtime/container.js';
export { ContainerProcess } from './runtime/process.js';
export { ContainerGroup, type GroupResources } from './runtime/group.js';
export { nodeStdio, type NodeStdio } from './host/node_streams.js';
export {
  ContainerError, canStart, canKill, canPause, canResume, canExec, canDelete, canInspect,
  type ContainerStatus, type StateName, type WaitResult,
} from './runtime/status.js';
export type { OciConfig, OciProcess, OciMount } from './runtime/config.js';
export type { CgroupStats, DiffEntry } from './sentry/control_plane.js';
export type { WorkerHost, SentryHandle, AppWorkerHandle, AppLimits } from './sentry/worker_host.js';
export {
  DetachedContainer, DetachedError, createContainer, startContainer, pauseContainer, resumeContainer, killContainer, killNow,
  stopContainer, deleteContainer, execInContainer, runContainer, containerStats, waitContainer, reloadState, stoppedExitCode, listStates,
  type CreateOptions as DetachedCreateOptions, type CreatedContainer, type OwnBundle, type KillOptions, type DeleteOptions,
  type ExecInOptions, type RunOptions, type RuncState, type RuncStatus,
} from './runtime/lifecycle/index.js';
