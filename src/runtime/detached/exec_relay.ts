/**
 * An exec'd process as the host sees it: a process that carries the exec's
 * stdio between its own fds 0–2 and the sandbox (over the control socket)
 * and exits with the exec's exit code. `wasmvisor-runc exec --detach`
 * starts one per exec (containerd's shim reaps it as the exec's process);
 * without --detach the command itself relays.
 */
import { nodeConsoleSink } from '../../host/node_host.js';
import type { OciProcess } from '../config.js';
import { request, sendLine, type ExecLine } from './control.js';
import { DetachedError } from './state.js';

/** What an exec relay needs. */
export interface ExecArgs {
  socket: string;
  process: OciProcess;
}

/**
 * Ask the sandbox to exec, call `started` once the process exists, then
 * relay stdio; resolves with the exit code (255 if the sandbox went away).
 */
export async function relayExec(a: ExecArgs, started: () => void): Promise<number> {
  const { reply, sock, rest } = await request(a.socket, { op: 'exec', process: a.process });
  if (!reply.ok) {
    sock.destroy();
    throw new DetachedError('WRONG_STATE', reply.error);
  }
  started();
  const input = process.stdin;
  const onData = (chunk: Buffer) => sendLine(sock, { t: 'in', data: chunk.toString('base64') } satisfies ExecLine);
  const onEnd = () => { if (!sock.destroyed) sendLine(sock, { t: 'eof' } satisfies ExecLine); };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('error', onEnd);
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
  input.off('data', onData);
  input.pause();
  sock.destroy();
  return code;
}
