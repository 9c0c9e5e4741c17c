/**
 * `wasmvisor logs [-f] CONTAINER`: what a detached container wrote to its
 * stdout and stderr: `STORE/containers/ID/ctr.log.1` (the rotated part, if
 * any; see runtime/detached/log_file.ts), then `ctr.log`. -f follows until
 * it exits, across rotations: the fd held on the live log still reads the
 * renamed file to its end before the new `ctr.log` is opened (output of a
 * whole file rotated away between two looks is lost, as it is on disk).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { ROTATED_SUFFIX } from '../../runtime/detached/log_file.js';
import { reloadState } from '../../runtime/lifecycle/wait.js';
import { containersRoot, findContainer, LOG_FILE } from '../containers/store.js';

type Out = { write(b: Uint8Array): void };

/** An open log file and how far it was read. */
interface Reading {
  fd: number;
  offset: number;
}

function tryOpen(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch {
    return undefined; // not there (never rotated; removed by rm, --rm)
  }
}

/** Copy `r` from its offset to its end. */
function drain(r: Reading, out: Out): void {
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = readSync(r.fd, buf, 0, buf.length, r.offset);
    if (n <= 0) return;
    out.write(buf.subarray(0, n));
    r.offset += n;
  }
}

/** True if `path` is no longer the file `fd` has open (rotated or removed). */
function replaced(path: string, fd: number): boolean {
  try {
    const now = statSync(path);
    const held = fstatSync(fd);
    return now.ino !== held.ino || now.dev !== held.dev;
  } catch {
    return true;
  }
}

/**
 * Print container `id`'s log to `out`: from the start (both files), from
 * byte `from` of the live log, or only what comes after now (`fromEnd`, as
 * attach shows); with `follow`,
 * until the container has stopped.
 */
export async function printLog(root: string, id: string, out: Out, o: { follow: boolean; fromEnd?: boolean; from?: number }): Promise<void> {
  const path = join(root, id, LOG_FILE);
  // the live log first: a rotation between the two opens makes the old one the same file, read once
  let live: Reading | undefined;
  const liveFd = tryOpen(path);
  if (liveFd !== undefined) live = { fd: liveFd, offset: o.from ?? (o.fromEnd ? fstatSync(liveFd).size : 0) };
  const oldFd = o.fromEnd || o.from !== undefined ? undefined : tryOpen(path + ROTATED_SUFFIX);
  if (oldFd !== undefined) {
    if (liveFd === undefined || fstatSync(oldFd).ino !== fstatSync(liveFd).ino) drain({ fd: oldFd, offset: 0 }, out);
    closeSync(oldFd);
  }
  try {
    if (live) drain(live, out);
    if (!o.follow) return;
    for (;;) {
      const now = reloadState(root, id);
      if (live) drain(live, out);
      // rotated: the writer no longer writes the held file, so reading it to its end loses nothing; the new ctr.log starts from 0
      if (!live || replaced(path, live.fd)) {
        const fd = tryOpen(path);
        if (fd !== undefined) {
          if (live) {
            drain(live, out);
            closeSync(live.fd);
          }
          live = { fd, offset: 0 };
          drain(live, out);
        }
      }
      if (!now || now.status === 'stopped') return; // read once more after it stopped: nothing is lost
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (live) closeSync(live.fd);
  }
}

/** Register `logs`. */
export function register(program: Command): void {
  program.command('logs')
    .description('print the output (stdout and stderr) of a detached container')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('-f, --follow', 'keep printing new output until the container exits')
    .action(async (ref: string, f: { follow?: boolean }, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      await printLog(root, st.id, nodeConsoleSink(1), { follow: f.follow === true });
    });
}
