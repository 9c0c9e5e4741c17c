/**
 * A container process's stdio wired to this host process's fds 0–2, as
 * the sandbox process of a detached container does: output is written
 * synchronously (so nothing is lost at exit), stdin is forwarded one chunk
 * at a time until EOF.
 */
import { nodeConsoleSink } from '../../host/node_host.js';
import type { ContainerProcess } from '../process.js';

/** Where output goes instead of fds 1 and 2: a synchronous writer (its return is the guest's acknowledgement). */
export interface OutputWriter {
  /** `stream` says which output wrote `data` (a timed log records it; a plain sink ignores it). */
  write(data: Uint8Array, stream?: 'stdout' | 'stderr'): void;
}

/**
 * Forward `proc`'s stdout/stderr to fds 1 and 2 and fd 0 to its stdin;
 * returns a function that stops reading fd 0. `stdin` false leaves the
 * process's stdin open and unread (a detached `run -d -i`: it never sees EOF).
 * `output`: one writer that takes both stdout and stderr instead (a
 * detached container's capped, timed log, log_records.ts).
 */
export function wireHostStdio(proc: ContainerProcess, stdin = true, output?: OutputWriter): () => void {
  const out = output ?? nodeConsoleSink(1);
  const err = output ?? nodeConsoleSink(2);
  proc.stdout.on((d) => { try { out.write(d, 'stdout'); } catch { /* the host's stdout failed: drop, as a closed pipe */ } });
  proc.stderr.on((d) => { try { err.write(d, 'stderr'); } catch { /* likewise */ } });
  if (!stdin) return () => {};
  let input: NodeJS.ReadStream;
  try {
    input = process.stdin;
  } catch {
    void proc.closeStdin().catch(() => {});
    return () => {};
  }
  const onData = (chunk: Buffer) => {
    input.pause(); // one chunk in flight to the Sentry at a time
    proc.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice()).then(() => input.resume(), () => {});
  };
  const onEnd = () => { void proc.closeStdin().catch(() => {}); };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('error', onEnd);
  return () => {
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('error', onEnd);
    input.pause();
  };
}
