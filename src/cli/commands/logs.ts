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
import { containersRoot, findContainer, LOG_FILE, nameOf } from '../containers/store.js';
import { CliExit, ExitCode } from '../exit.js';

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
export async function printLog(root: string, id: string, sink: Out, o: { follow: boolean; fromEnd?: boolean; from?: number; tail?: number }): Promise<void> {
  // --tail: what is on disk now is gathered (at most twice the log's cap), and only its last lines printed
  const held: Uint8Array[] = [];
  let out: Out = o.tail === undefined ? sink : { write: (b) => { held.push(Buffer.from(b)); } };
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
    if (o.tail !== undefined) {
      sink.write(lastLines(Buffer.concat(held), o.tail));
      out = sink;
    }
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

/** The last `n` lines of `text` (a final line without a newline counts). */
export function lastLines(text: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let i = end;
  for (let k = 0; k < n; k++) {
    const nl = text.lastIndexOf(0x0a, i - 1);
    if (nl < 0) return text;
    i = nl;
    if (k === n - 1) return text.subarray(nl + 1);
  }
  return text;
}

/** A writer that puts `prefix` before every line (lines are written whole; a partial one waits for its end). */
function prefixed(prefix: string, out: Out): Out & { flush(): void } {
  let pending = Buffer.alloc(0);
  return {
    write(b) {
      const all = Buffer.concat([pending, Buffer.from(b)]);
      const cut = all.lastIndexOf(0x0a) + 1;
      pending = all.subarray(cut);
      if (cut === 0) return;
      const lines = all.subarray(0, cut).toString('utf8').split('\n').slice(0, -1);
      out.write(Buffer.from(lines.map((l) => `${prefix}${l}\n`).join('')));
    },
    flush() {
      if (pending.length > 0) out.write(Buffer.from(`${prefix}${pending.toString('utf8')}\n`));
      pending = Buffer.alloc(0);
    },
  };
}

/** Register `logs`. */
export function register(program: Command): void {
  program.command('logs')
    .description('print the output (stdout and stderr) of containers')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .option('-f, --follow', 'keep printing new output until the containers exit')
    .option('--tail <n>', 'only the last n lines (-1: all)', '-1')
    .option('-n, --names', 'with several containers, start each line with the container\'s name instead of its id')
    .option('-t, --timestamps', 'refused: the log keeps no time of each line yet (see below)')
    .option('--since <time>', 'refused: the log keeps no time of each line yet (see below)')
    .option('--until <time>', 'refused: the log keeps no time of each line yet (see below)')
    .addHelpText('after', `
With several containers each line starts with the container's short id (its
name with -n), as podman prints it; with -f they are followed together.

-t, --since and --until need the time of each line, which the container's
log (ctr.log: raw output bytes, capped by --log-opt max-size) does not keep
yet: they are refused with exit 125 rather than ignored.

A foreground container (run without -d) writes to its terminal, not to a log:
logs prints nothing for it.

Exit status: 0; 125 if a container does not exist or an option is invalid.`)
    .action(async (refs: string[], f: { follow?: boolean; tail: string; names?: boolean; timestamps?: boolean; since?: string; until?: string }, c: Command) => {
      for (const [flag, given] of [['-t', f.timestamps], ['--since', f.since], ['--until', f.until]] as const) {
        if (given !== undefined && given !== false) throw new CliExit(ExitCode.RUNTIME, `logs ${flag} is not supported yet: the container's log keeps no time of each line`);
      }
      if (!/^-?\d+$/.test(f.tail)) throw new CliExit(ExitCode.RUNTIME, `invalid --tail ${f.tail}: give a number of lines, or -1 for all`);
      const tail = Number(f.tail) < 0 ? undefined : Number(f.tail);
      const root = containersRoot(c);
      const states = refs.map((r) => findContainer(root, r));
      const sink = nodeConsoleSink(1);
      if (states.length === 1) {
        await printLog(root, states[0]!.id, sink, { follow: f.follow === true, tail });
        return;
      }
      const run = (st: (typeof states)[number]) => {
        const w = prefixed(`${f.names ? nameOf(st) : st.id.slice(0, 12)} `, sink);
        return printLog(root, st.id, w, { follow: f.follow === true, tail }).finally(() => w.flush());
      };
      if (f.follow) await Promise.all(states.map(run));
      else for (const st of states) await run(st);
    });
}
