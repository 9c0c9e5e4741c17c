/**
 * Terminals (runc's `--console-socket`, as `ctr run -t` and `kubectl exec
 * -it` give): the sandbox process or exec relay runs with a pseudo-terminal
 * slave as its fds 0–2, and the master goes to whoever listens on the
 * socket, passed with SCM_RIGHTS. Node cannot pass fds over a unix socket,
 * so a few lines of Python (bin/console_pty.py, standard library only) open
 * the terminal, send the master and exec the helper in place: the same pid,
 * no process in between. The guest sees its stdio as terminals when the
 * config's `process.terminal` is true (the kernel's fd_fdstat reports a
 * character device).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../host/node_workers.js';
import { DetachedError } from './state.js';

/** Where python3 is looked for after PATH (containerd's shims run with a short PATH). */
const FALLBACK_DIRS = ['/usr/bin', '/usr/local/bin', '/bin'];

/** An executable python3, or null. */
export function findPython(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...FALLBACK_DIRS];
  for (const d of dirs) {
    const p = join(d, 'python3');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The command prefix that gives a helper a terminal whose master is sent
 * over `socket`: `[python3, -I, console_pty.py, socket]` (the helper's own
 * command line follows). UNSUPPORTED with one line when python3 is
 * missing; BAD_ARG when `socket` is no socket.
 */
export function consolePrefix(socket: string): string[] {
  let isSocket = false;
  try {
    isSocket = statSync(socket).isSocket();
  } catch {
    // missing: below
  }
  if (!isSocket) throw new DetachedError('BAD_ARG', `--console-socket ${socket} is not a listening unix socket`);
  const script = join(packageRoot(), 'bin', 'console_pty.py');
  if (!existsSync(script)) throw new DetachedError('UNSUPPORTED', `--console-socket needs ${script}, which this install lacks: reinstall wasmvisor`);
  const python = findPython();
  if (python === null) {
    throw new DetachedError('UNSUPPORTED', '--console-socket (a terminal: ctr run -t, kubectl exec -it) needs python3 to pass the terminal over the socket (Node cannot pass fds): install python3, or run without a tty');
  }
  // -I: isolated (no PYTHON* variables, no user site): only the standard library, whatever the environment holds
  return [python, '-I', script, socket];
}
