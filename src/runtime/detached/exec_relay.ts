/**
 * An exec'd process as the host sees it: a process that carries the exec's
 * stdio between its own fds 0–2 and the sandbox (over the control socket),
 * passes the signals it gets on to the exec'd process, and exits with the
 * exec's exit code. `wasmvisor-runc exec --detach` starts one per exec
 * (containerd's shim reaps it as the exec's process, and signals it to
 * kill the exec); without --detach the command itself relays.
 */
import { nodeConsoleSink } from '../../host/node_host.js';
import type { OciProcess } from '../config.js';
import { request, sendLine, type ExecLine } from './control.js';
import { DetachedError } from './state.js';

/** What an exec relay needs. */
export interface ExecArgs {
  socket: string;
  /** The pod member the exec is for, when `socket` is a pod's sandbox process's. */
  container?: string;
  process: OciProcess;
  /** Host path of the module to run (default: `process.args[0]` in the container's root). */
  module?: string;
  /** false: the exec'd process reads EOF at once instead of this relay's fd 0. */
  stdin?: boolean;
}

/** Signals this relay passes on to the exec'd process (SIGKILL kills the relay, and the sandbox then kills the process). */
const RELAYED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/**
 * Ask the sandbox to exec, call `started` once the process exists, then
 * relay stdio; resolves with the exit code (255 if the sandbox went away).
 */
export async function relayExec(a: ExecArgs, started: () => void): Promise<number> {
  const { reply, sock, rest } = await request(a.socket, { op: 'exec', process: a.process, relayPid: process.pid, module: a.module, container: a.container });
  if (!reply.ok) {
    sock.destroy();
    throw new DetachedError(reply.code === 'NO_MODULE' || reply.code === 'NOT_WASM' ? reply.code : 'WRONG_STATE', reply.error);
  }
  started();
  const input = process.stdin;
  const onData = (chunk: Buffer) => sendLine(sock, { t: 'in', data: chunk.toString('base64') } satisfies ExecLine);
  const onEnd = () => { if (!sock.destroyed) sendLine(sock, { t: 'eof' } satisfies ExecLine); };
  if (a.stdin === false) onEnd();
  else {
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
  }
  // the shim signals an exec by this relay's pid: the signal goes to the exec'd process
  const onSignal = (signal: NodeJS.Signals) => { if (!sock.destroyed) sendLine(sock, { t: 'signal', signal } satisfies ExecLine); };
  for (const s of RELAYED) process.on(s, onSignal);
  const sinks = { 1: nodeConsoleSink(1), 2: nodeConsoleSink(2) };
  const code = await new Promise<number>((resolve) => {
    rest((m) => {
      const l = m as ExecLine;
      if (l.t === 'out') {
        try {
          sinks[l.fd].write(Buffer.from(l.data, 'base64'));
        } catch {
          // this relay's stdout failed: drop, as a closed pipe
        }
      } else if (l.t === 'exit') {
        resolve(l.code);
      }
    });
    sock.once('close', () => resolve(255));
  });
  if (a.stdin !== false) {
    input.off('data', onData);
    input.pause();
  }
  for (const s of RELAYED) process.off(s, onSignal);
  sock.destroy();
  return code;
}
