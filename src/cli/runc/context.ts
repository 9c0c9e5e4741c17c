/**
 * What every wasmvisor-runc command shares: the global flags (`--root`,
 * `--log`, `--log-format`, `--debug`, `--systemd-cgroup`, given before the
 * command as runc takes them). Errors are logged as runc does it (one line
 * on stderr; with `--log`, a `level=error` record that containerd's shim
 * reports) by main.ts; the operations themselves are the library's
 * (src/runtime/lifecycle/).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LogTarget } from '../../runtime/detached/log.js';

/** Default state directory, as runc's /run/runc. */
export const DEFAULT_ROOT = '/run/wasmvisor-runc';

/** The global flags. */
export interface GlobalFlags extends LogTarget {
  root?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
}

/** The state directory the command was given (absolute). */
export function rootOf(cmd: Command): string {
  const g = cmd.optsWithGlobals<GlobalFlags>();
  return resolve(g.root ?? DEFAULT_ROOT);
}
