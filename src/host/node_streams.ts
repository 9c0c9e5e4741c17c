/**
 * Node streams over a container process's stdio: `stdout`/`stderr` as
 * Readables (from the web streams the library hands out) and `stdin` as a
 * Writable that feeds the guest (`end()` closes its stdin: EOF).
 */
import { Readable, Writable } from 'node:stream';
import type { OutputStream } from './web_streams.js';

/** The stdio of one container process (the runtime's `ContainerProcess` is one). */
export interface ProcessStdio {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Feed the process's stdin. */
  write(data: Uint8Array | string): Promise<void>;
  /** Close its stdin (EOF). */
  closeStdin(): Promise<void>;
}

/** Node streams of one process. */
export interface NodeStdio {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
}

/**
 * Node streams for `proc` (stdin works when it was started with stdin
 * 'pipe'). stdout and stderr are pipes with flow control: read both, or
 * `destroy()` the one you do not want. As with a child process's pipes, a
 * stream left unread fills up and then blocks the guest's writes to it.
 */
export function nodeStdio(proc: ProcessStdio): NodeStdio {
  const stdin = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      proc.write(typeof chunk === 'string' ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice())
        .then(() => cb(), cb);
    },
    final(cb) {
      proc.closeStdin().then(() => cb(), cb);
    },
  });
  return {
    stdin,
    stdout: Readable.fromWeb(proc.stdout.readable() as import('node:stream/web').ReadableStream<Uint8Array>),
    stderr: Readable.fromWeb(proc.stderr.readable() as import('node:stream/web').ReadableStream<Uint8Array>),
  };
}
