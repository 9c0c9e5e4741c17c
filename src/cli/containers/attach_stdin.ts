/**
 * `attach` and `start -ai`: this command's stdin to a detached container's
 * init process (control op `stdin`, runtime/detached/control.ts), as podman
 * attaches stdin. The container must have been made with -i (its stdin left
 * open); otherwise nothing is forwarded. EOF on this stdin closes the
 * container's stdin, as podman's attach does for a -i container.
 */
import type { Socket } from 'node:net';
import { request, sendLine, type ExecLine } from '../../runtime/detached/control.js';
import { DetachedContainer } from '../../runtime/lifecycle/container.js';

/**
 * Forward fd 0 to container `id`'s stdin; resolves to a function that stops
 * reading fd 0, or to undefined when the container's stdin is not open
 * (made without -i, or no longer running).
 */
export async function forwardStdin(root: string, id: string): Promise<(() => void) | undefined> {
  let sock: Socket;
  try {
    const c = DetachedContainer.load(root, id);
    const r = await request(c.socket, { op: 'stdin' });
    sock = r.sock;
    if (!r.reply.ok) {
      sock.destroy();
      return undefined;
    }
  } catch {
    return undefined; // it ended meanwhile: its output says the rest
  }
  sock.on('error', () => {});
  const input = process.stdin;
  const onData = (chunk: Buffer) => {
    if (sock.destroyed) return;
    // one chunk in flight: a fast producer is held back by the socket, not buffered here
    if (!sock.write(`${JSON.stringify({ t: 'in', data: chunk.toString('base64') } satisfies ExecLine)}\n`)) {
      input.pause();
      sock.once('drain', () => input.resume());
    }
  };
  const onEnd = () => { if (!sock.destroyed) sendLine(sock, { t: 'eof' } satisfies ExecLine); };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('error', onEnd);
  return () => {
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('error', onEnd);
    input.pause();
    sock.destroy();
  };
}
