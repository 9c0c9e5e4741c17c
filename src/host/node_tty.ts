/**
 * Whether a host fd is a terminal, without loading node:tty (which loads
 * node:net and the stream machinery: 10–25 ms of a one-shot process's
 * start-up) when it cannot be one: only a character device can be a
 * terminal, so node:tty is loaded for those alone (a pipe, a socket, a
 * file or /dev/null is answered by one fstat).
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';

let load: NodeJS.Require | undefined;

/** `tty.isatty(fd)`, with node:tty loaded only for a character device. */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    // Linux's memory devices (major 1: /dev/null, /dev/zero, /dev/urandom) are never terminals
    if (process.platform === 'linux' && ((st.rdev >> 8) & 0xfff) === 1) return false;
  } catch {
    return false; // not an open fd: isatty says false too
  }
  return ((load ??= createRequire(import.meta.url))('node:tty') as typeof import('node:tty')).isatty(fd);
}
