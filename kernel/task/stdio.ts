/**
 * Installing a task's stdio and preopens. Stdio are kernel files (a console
 * or a pipe); their rights say whether the guest sees a terminal: wasi-libc's
 * `isatty` is true for a character device without FD_SEEK/FD_TELL, so a tty
 * console gets neither, and any other stream gets both (the calls then fail
 * with ESPIPE, as on Linux).
 */
import { RIGHTS_DIR_BASE, RIGHTS_FILE_BASE, RIGHTS_STREAM, Rights } from '../abi/wasi.js';
import type { OpenFile } from '../vfs/types.js';
import type { Task } from './task.js';

/** Rights of a stdio stream. */
export function streamRights(tty: boolean): number {
  return tty ? RIGHTS_STREAM : RIGHTS_STREAM | Rights.FD_SEEK | Rights.FD_TELL;
}

/** One stdio stream and whether it is a terminal. */
export interface StdioFile {
  file: OpenFile;
  tty?: boolean;
}

/** Put stdin, stdout and stderr on fds 0, 1, 2. */
export function installStdio(task: Task, stdin: StdioFile, stdout: StdioFile, stderr: StdioFile): void {
  [stdin, stdout, stderr].forEach((s, fd) => {
    const got = task.fds.insert(s.file, streamRights(s.tty === true), 0, undefined, fd);
    if (got !== fd) throw new Error(`stdio: fd ${fd} was taken`);
  });
}

/** Base rights of a preopened directory: every directory right. */
export const PREOPEN_RIGHTS_BASE = RIGHTS_DIR_BASE;
/** Inheriting rights of a preopen: every directory and file right. */
export const PREOPEN_RIGHTS_INHERITING = RIGHTS_DIR_BASE | RIGHTS_FILE_BASE;

/** Add a preopened directory named `name` (its container path, or "."); returns its fd. */
export function installPreopen(task: Task, dir: OpenFile, name: string): number {
  return task.fds.insert(dir, PREOPEN_RIGHTS_BASE, PREOPEN_RIGHTS_INHERITING, name, 3);
}
