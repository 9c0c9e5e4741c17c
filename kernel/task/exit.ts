/**
 * How a task ends. `proc_exit` and fatal signals throw a `TaskExit`; it
 * unwinds the guest's stack through the import call and is caught by the
 * platform, which records the status. It is not a SysError and the
 * dispatcher lets it through.
 */
import { linuxSignal, SIGNAL_NAMES } from '../abi/wasi.js';

/** Final status of a task: an exit code, or the WASI signal that killed it. */
export interface ExitStatus {
  /** Exit code 0..255 (WASI u32 codes are reduced `& 0xff`, as POSIX `exit()` does). */
  readonly code: number;
  /** WASI signal number if a signal ended the task. */
  readonly signal?: number;
  /** Why, when not a plain exit (trap message, kernel error). */
  readonly reason?: string;
}

/** The shell-style exit code of a status: the code, or 128 + the Linux signal number. */
export function exitCodeOf(s: ExitStatus): number {
  return s.signal !== undefined ? 128 + linuxSignal(s.signal) : s.code;
}

/** Human-readable status for messages. */
export function describeStatus(s: ExitStatus): string {
  if (s.signal !== undefined) return `killed by SIG${SIGNAL_NAMES[s.signal] ?? s.signal}`;
  return s.reason ? `exited with ${s.code} (${s.reason})` : `exited with ${s.code}`;
}

/** Thrown to end the calling task; caught by the platform. */
export class TaskExit {
  constructor(readonly status: ExitStatus) {}
}

/** Reduce a WASI u32 exit code to 0..255 (documented choice: like POSIX `exit()`, low 8 bits). */
export function exitCodeFromWasi(rval: number): number {
  return (rval >>> 0) & 0xff;
}
