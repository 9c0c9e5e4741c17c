/**
 * wasmvisor, the library: `Runtime` creates containers (OCI lifecycle,
 * exec, stats, diff, limits) on the sentry platform.
 */
export { Runtime, type RuntimeOptions, type CreateOptions } from './runtime/runtime.js';
export { Container, type ExecOptions, type ModuleSource, signalNumber } from './runtime/container.js';
export { ContainerProcess } from './runtime/process.js';
export { nodeStdio, type NodeStdio } from './host/node_streams.js';
export {
  ContainerError, canStart, canKill, canPause, canResume, canExec, canDelete, canInspect,
  type ContainerStatus, type StateName, type WaitResult,
} from './runtime/status.js';
export type { OciConfig, OciProcess, OciMount } from './runtime/config.js';
export type { CgroupStats, DiffEntry } from './sentry/control_plane.js';
export type { WorkerHost, SentryHandle, AppWorkerHandle, AppLimits } from './sentry/worker_host.js';
