/**
 * `wasmvisor logs [-f] CONTAINER`: what a detached container wrote to its
 * stdout and stderr: `STORE/containers/ID/ctr.log.1` (the rotated part, if
 * any; see runtime/detached/log_file.ts), then `ctr.log`. -f follows until
 * it exits, across rotations: the fd held on the live log still reads the
 * renamed file to its end before the new `ctr.log` is opened (output of a
 * whole file rotated away between two looks is lost, as it is on disk).
 * The files hold timed records (runtime/detached/log_records.ts): -t prints
 * each line's time, --since/--until select lines by it.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { ROTATED_SUFFIX } from '../../runtime/detached/log_file.js';
import { RecordReader, nowNs, type LogPiece } from '../../runtime/detached/log_records.js';
import { formatLogTime, parseLogTime } from '../containers/log_time.js';
import { reloadState } from '../../runtime/lifecycle/wait.js';
import { containersRoot, findContainer, LOG_FILE, nameOf } from '../containers/store.js';
import { CliExit, ExitCode } from '../exit.js';

type Out = { write(b: Uint8Array): void };

/** Where logs prints each stream: stdout lines to `stdout`, stderr lines to `stderr` (podman's logs does the same). */
export interface LogSinks {
  stdout: Out;
  stderr: Out;
}

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

/** What reads the log: the records' pieces (-t, --since, --until, --tail), or the guest's bytes alone. */
interface Feed {
  rr: RecordReader;
  emit: (p: LogPiece) => void;
  /** Set when no piece is needed: the bytes go straight to them (RecordReader.pushPlain). */
  plain?: LogSinks;
}

/** Feed `r` from its offset to its end into `f`. */
function drain(r: Reading, f: Feed): void {
  const buf = Buffer.alloc(256 * 1024);
  for (;;) {
    const n = readSync(r.fd, buf, 0, buf.length, r.offset);
    if (n <= 0) return;
    if (f.plain) {
      const sinks = f.plain;
      f.rr.pushPlain(buf.subarray(0, n), (stream, bytes) => sinks[stream].write(bytes));
    }
    else f.rr.push(buf.subarray(0, n), f.emit);
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

/** How printLog selects and shows lines. */
export interface PrintOptions {
  follow: boolean;
  /** Only what comes after now (attach). */
  fromEnd?: boolean;
  /** From this byte of the live log (start -a of an exited container). */
  from?: number;
  /** Only the last n lines of what is there now. */
  tail?: number;
  /** Print each line's time before it (-t). */
  timestamps?: boolean;
  /** Only lines that began at or after this time (ns since the epoch). */
  since?: bigint;
  /** Only lines that began at or before this time; with follow, stop once it passed. */
  until?: bigint;
}

/** A piece of output written to its stream's sink as logs shows it: filtered by time, its line's time before a line's start with -t. */
function shower(sinks: LogSinks, o: PrintOptions): (p: LogPiece) => void {
  return (p) => {
    const out = sinks[p.stream];
    if (p.ns !== undefined && ((o.since !== undefined && p.ns < o.since) || (o.until !== undefined && p.ns > o.until))) return;
    if (o.timestamps && p.first && p.ns !== undefined) out.write(Buffer.concat([Buffer.from(`${formatLogTime(p.ns)} `), p.data]));
    else out.write(p.data);
  };
}

/** The pieces of the last `n` lines in `pieces` (a line begins at a piece marked first). */
function lastPieces(pieces: LogPiece[], n: number): LogPiece[] {
  if (n <= 0) return [];
  let seen = 0;
  for (let i = pieces.length - 1; i >= 0; i--) {
    if (pieces[i]!.first && ++seen === n) return pieces.slice(i);
  }
  return pieces;
}

/**
 * Print container `id`'s log to `sink`: from the start (both files), from
 * byte `from` of the live log, or only what comes after now (`fromEnd`, as
 * attach shows); with `follow`, until the container has stopped. The log's
 * records (runtime/detached/log_records.ts) become the guest's bytes again.
 */
export async function printLog(root: string, id: string, sink: LogSinks, o: PrintOptions): Promise<void> {
  // --tail: what is on disk now is gathered (at most twice the log's cap), and only its last lines printed
  const held: LogPiece[] = [];
  const show = shower(sink, o);
  const plain = !o.timestamps && o.since === undefined && o.until === undefined && o.tail === undefined;
  const f: Feed = { rr: new RecordReader(), emit: o.tail === undefined ? show : (p) => { held.push(p); }, plain: plain ? sink : undefined };
  const flush = () => f.rr.flush(f.emit);
  const path = join(root, id, LOG_FILE);
  // the live log first: a rotation between the two opens makes the old one the same file, read once
  let live: Reading | undefined;
  const liveFd = tryOpen(path);
  if (liveFd !== undefined) live = { fd: liveFd, offset: o.from ?? (o.fromEnd ? fstatSync(liveFd).size : 0) };
  const oldFd = o.fromEnd || o.from !== undefined ? undefined : tryOpen(path + ROTATED_SUFFIX);
  if (oldFd !== undefined) {
    if (liveFd === undefined || fstatSync(oldFd).ino !== fstatSync(liveFd).ino) {
      drain({ fd: oldFd, offset: 0 }, f);
      flush();
    }
    closeSync(oldFd);
  }
  try {
    if (live) drain(live, f);
    if (o.tail !== undefined) {
      if (!o.follow) flush();
      for (const p of lastPieces(held, o.tail)) show(p);
      f.emit = show;
    }
    if (!o.follow) {
      flush();
      return;
    }
    for (;;) {
      const now = reloadState(root, id);
      if (live) drain(live, f);
      // rotated: the writer no longer writes the held file, so reading it to its end loses nothing; the new ctr.log starts from 0
      if (!live || replaced(path, live.fd)) {
        const fd = tryOpen(path);
        if (fd !== undefined) {
          if (live) {
            drain(live, f);
            flush();
            closeSync(live.fd);
          }
          live = { fd, offset: 0 };
          drain(live, f);
        }
      }
      // read once more after it stopped: nothing is lost
      if (!now || now.status === 'stopped' || (o.until !== undefined && nowNs() > o.until)) {
        flush();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (live) closeSync(live.fd);
  }
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
    .option('-t, --timestamps', 'print the time each line was written before it (RFC 3339 with nanoseconds, local time, as podman)')
    .option('--since <time>', 'only lines written at or after TIME: RFC 3339, Unix seconds, or a duration before now (10m, 1h30m)')
    .option('--until <time>', 'only lines written at or before TIME (same forms; a duration is after now, as podman)')
    .addHelpText('after', `
With several containers each line starts with the container's short id (its
name with -n), as podman prints it; with -f they are followed together.
What the container wrote to stderr is printed on stderr, the rest on stdout.

The log (ctr.log, capped by --log-opt max-size) keeps each line with the
time it was written and whether it came from stdout or stderr (the CRI
format podman's k8s-file driver writes).
TIME for --since/--until is RFC3339Nano, RFC3339, 2006-01-02T15:04:05 (UTC),
2006-01-02, Unix seconds (1700000000.5), or a Go duration (10m, 1h30m, 90s).
--tail picks the last lines first, then --since/--until filter them; -f with
--until stops once that time has passed.

A foreground container (run without -d) writes to its terminal, not to a log:
logs prints nothing for it.

Exit status: 0; 125 if a container does not exist or an option is invalid.`)
    .action(async (refs: string[], f: { follow?: boolean; tail: string; names?: boolean; timestamps?: boolean; since?: string; until?: string }, c: Command) => {
      const since = f.since === undefined ? undefined : parseLogTime('--since', f.since);
      const until = f.until === undefined ? undefined : parseLogTime('--until', f.until);
      if (!/^-?\d+$/.test(f.tail)) throw new CliExit(ExitCode.RUNTIME, `invalid --tail ${f.tail}: give a number of lines, or -1 for all`);
      const tail = Number(f.tail) < 0 ? undefined : Number(f.tail);
      const root = containersRoot(c);
      const states = refs.map((r) => findContainer(root, r));
      const sink: LogSinks = { stdout: nodeConsoleSink(1), stderr: nodeConsoleSink(2) };
      if (states.length === 1) {
        await printLog(root, states[0]!.id, sink, { follow: f.follow === true, tail, timestamps: f.timestamps === true, since, until });
        return;
      }
      const run = (st: (typeof states)[number]) => {
        const prefix = `${f.names ? nameOf(st) : st.id.slice(0, 12)} `;
        const w = { stdout: prefixed(prefix, sink.stdout), stderr: prefixed(prefix, sink.stderr) };
        return printLog(root, st.id, w, { follow: f.follow === true, tail, timestamps: f.timestamps === true, since, until }).finally(() => {
          w.stdout.flush();
          w.stderr.flush();
        });
      };
      if (f.follow) await Promise.all(states.map(run));
      else for (const st of states) await run(st);
    });
}
