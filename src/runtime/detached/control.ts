/**
 * The control protocol between wasmvisor-runc commands and a sandbox
 * process: newline-delimited JSON over the unix socket `ROOT/ID/ctl.sock`.
 * A request is one line; the answer is one `{ok, …}` line, except for
 * `exec` (whose `module`, when given, is a host path to run instead of
 * `process.args[0]` in the container's root), whose connection then carries the exec'd process's stdio
 * (`out` and `exit` lines from the sandbox; `in`, `eof` and `signal` lines
 * to it; the exec'd process is killed if the connection closes first).
 * `stdin` (attach, start -ai) answers `{ok}`, then takes `in` and `eof`
 * lines for the init process's stdin, when the container was made with -i.
 */
import { connect, type Socket } from 'node:net';
import { dirname, basename } from 'node:path';
import type { CgroupStats, DiffEntry } from '../../sentry/control_plane.js';
import type { TopProcess } from './exec_module.js';
import type { OciProcess } from '../config.js';
import type { LogTarget } from './log.js';
import { DetachedError } from './state.js';

/** A request to the sandbox process. */
export type ControlRequest =
  | { op: 'start' }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'kill'; signal: string }
  | { op: 'stats' }
  | { op: 'diff' }
  | { op: 'top' }
  | { op: 'annotate'; key: string; value: string }
  | { op: 'layer' }
  | { op: 'exec'; process: OciProcess; relayPid: number; module?: string }
  | { op: 'stdin' };

/** To a pod's sandbox process: create container `id` from bundle `bundle` in the pod, held by stand-in `standIn` with exit fifo `fifo` (pod_standin.ts). */
export interface JoinRequest {
  op: 'join';
  id: string;
  bundle: string;
  standIn: number;
  fifo: string;
  log?: LogTarget;
}

/** A request as sent: `container` names the pod member it is for, when the socket is a pod's sandbox process's. */
export type Addressed = (ControlRequest | JoinRequest) & { container?: string };

/** The sandbox's answer. */
export type ControlReply = { ok: true; pid?: number; stats?: CgroupStats; diff?: DiffEntry[]; top?: TopProcess[]; path?: string } | { ok: false; error: string; code?: string };

/** File in the container's directory where `layer` writes the upper layer's tar (commit). */
export const LAYER_FILE = 'layer.tar';

/** Lines on an exec connection after its reply. */
export type ExecLine =
  | { t: 'out'; fd: 1 | 2; data: string }
  | { t: 'exit'; code: number }
  | { t: 'in'; data: string }
  | { t: 'eof' }
  | { t: 'signal'; signal: string };

/** Longest unix socket path the kernel accepts (sun_path less the NUL). */
const SUN_PATH_MAX = 107;

/**
 * The path to bind or connect: a long absolute path (deep `--root`, long
 * ids) is reached relative to the current directory after a chdir, as the
 * kernel limits socket paths to 107 bytes.
 */
export function reachableSocket(path: string): string {
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return path;
  process.chdir(dirname(path));
  return basename(path);
}

/** Split a stream into JSON lines, calling `fn` for each. */
export function onLines(sock: Socket, fn: (msg: unknown) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        sock.destroy(); // not our protocol: drop the peer
        return;
      }
      fn(msg);
    }
  });
}

/** Write one JSON line. */
export function sendLine(sock: Socket, msg: unknown): void {
  sock.write(`${JSON.stringify(msg)}\n`);
}

/**
 * Connect to a sandbox and send `req`; resolves with the reply and the
 * still-open socket (the caller ends it, or keeps it for exec's stdio).
 */
export function request(path: string, req: Addressed): Promise<{ reply: ControlReply; sock: Socket; rest: (fn: (msg: unknown) => void) => void }> {
  return new Promise((resolve, reject) => {
    const sock = connect(reachableSocket(path));
    let listener: ((msg: unknown) => void) | null = null;
    const early: unknown[] = [];
    let replied = false;
    sock.on('error', (err) => {
      if (!replied) reject(new DetachedError('CONTROL', `cannot reach the sandbox process of this container (${(err as Error).message}): it may have exited; see state`));
    });
    sock.once('close', () => {
      if (!replied) reject(new DetachedError('CONTROL', 'the sandbox process closed the control connection without answering: it may have exited; see state'));
    });
    onLines(sock, (msg) => {
      if (!replied) {
        replied = true;
        resolve({
          reply: msg as ControlReply,
          sock,
          rest: (fn) => {
            listener = fn;
            for (const m of early.splice(0)) fn(m);
          },
        });
        return;
      }
      if (listener) listener(msg);
      else early.push(msg);
    });
    sock.once('connect', () => sendLine(sock, req));
  });
}

/** Send `req` and end the connection; throws WRONG_STATE (or the sandbox's error) when it refused. */
export async function call(path: string, req: Addressed): Promise<ControlReply & { ok: true }> {
  const { reply, sock } = await request(path, req);
  sock.end();
  if (!reply.ok) throw new DetachedError('WRONG_STATE', reply.error);
  return reply;
}
