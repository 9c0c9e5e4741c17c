/**
 * Container status as a union with guards (youki style): each lifecycle
 * operation checks its guard first and fails with a ContainerError naming
 * the state and what to do instead.
 */

/** How a container's init process ended. */
export interface WaitResult {
  /** Shell-style exit code: the workload's own, or 128 + signal number. */
  exitCode: number;
  /** Signal name (e.g. "SIGKILL") if a signal ended it. */
  signal?: string;
  /** True if the memory cgroup's limit ended it. */
  oomKilled: boolean;
  /** The trap or failure message when it did not exit by itself. */
  reason?: string;
}

/** The OCI states plus `paused` and `deleted`. */
export type ContainerStatus =
  | { readonly state: 'created' }
  | { readonly state: 'running'; readonly pid: number }
  | { readonly state: 'paused'; readonly pid: number }
  | { readonly state: 'stopped'; readonly result: WaitResult }
  | { readonly state: 'deleted' };

/** Name of a status. */
export type StateName = ContainerStatus['state'];

/** `start` is allowed only once, from created. */
export const canStart = (s: ContainerStatus): boolean => s.state === 'created';
/** Signals go to running or paused containers (and created ones, which then stop without running). */
export const canKill = (s: ContainerStatus): boolean => s.state === 'running' || s.state === 'paused' || s.state === 'created';
/** Pause a running container. */
export const canPause = (s: ContainerStatus): boolean => s.state === 'running';
/** Resume a paused container. */
export const canResume = (s: ContainerStatus): boolean => s.state === 'paused';
/** Exec needs a running container. */
export const canExec = (s: ContainerStatus): boolean => s.state === 'running';
/** Delete a container that is not running (use force to kill it first). */
export const canDelete = (s: ContainerStatus): boolean => s.state === 'created' || s.state === 'stopped';
/** Stats and diff while it exists. */
export const canInspect = (s: ContainerStatus): boolean => s.state !== 'deleted';

/** Errors of the container library; `code` is stable. */
export class ContainerError extends Error {
  constructor(
    readonly code: 'WRONG_STATE' | 'NOT_FOUND' | 'INVALID_CONFIG' | 'CANNOT_RUN' | 'EAGAIN' | 'RUNTIME_CLOSED' | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'ContainerError';
  }
}

/** Throw WRONG_STATE unless `guard(status)`. */
export function requireState(guard: (s: ContainerStatus) => boolean, status: ContainerStatus, id: string, op: string, hint: string): void {
  if (!guard(status)) {
    throw new ContainerError('WRONG_STATE', `cannot ${op} container ${id}: it is ${status.state}; ${hint}`);
  }
}
