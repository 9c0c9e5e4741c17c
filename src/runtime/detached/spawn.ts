/**
 * Starting a helper process (the sandbox process of a container, or an
 * exec relay) that outlives the command that started it. The helper gets
 * the caller's fds 0–2 (containerd's shim passes the container's stdio
 * there) and a pipe on fd 3 on which it reports, in one JSON line, that it
 * is ready or why it failed; then the pipe closes and the caller may exit.
 */
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { closeSync, existsSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../host/node_workers.js';
import { consolePrefix } from './console.js';
import { signalNum } from './signals.js';
import { DetachedError } from './state.js';

/** What a helper reports on fd 3. */
export type ReadyReport = { ok: true } | { ok: false; error: string };

/** Helper side: report on fd 3, once, then close it. */
export function reportReady(r: ReadyReport): void {
  try {
    writeSync(3, `${JSON.stringify(r)}\n`);
    closeSync(3);
  } catch {
    // the starter is gone: nobody to tell
  }
}

/**
 * The built file of helper entry `entry` (`./sandbox_main.js`): next to
 * this module in dist/; when this module runs from its TypeScript source
 * (the library under vitest), the same file in the package's dist/.
 */
function helperFile(entry: string): string {
  const here = fileURLToPath(new URL(entry, import.meta.url));
  if (existsSync(here)) return here;
  const built = fileURLToPath(new URL(`../../../dist/src/runtime/detached/${entry}`, import.meta.url));
  if (existsSync(built)) return built;
  throw new DetachedError('CONTROL', `helper script ${here} is missing: run \`npm run build\` first (helper processes run the built JavaScript in dist/)`);
}

/**
 * The command line that runs helper `entry` (`./sandbox_main.js`): through
 * bin/launch.js, which loads its single-file bundle with V8's code cache
 * when the build made a fresh one (start-up: src/cli/bundle.mjs), else the
 * built file itself.
 */
function helperArgv(entry: string): string[] {
  const file = helperFile(entry);
  const launcher = join(packageRoot(), 'bin', 'launch.js');
  if (!existsSync(launcher)) return [file];
  const name = entry.replace(/^\.\//, '').replace(/\.js$/, '');
  return [launcher, name, `src/runtime/detached/${name}.js`];
}

/**
 * Node's own flags for helper `entry`. A sandbox process runs a worker per
 * guest process plus the Sentry's: `--no-node-snapshot` bootstraps each
 * isolate without Node's start-up snapshot, whose heap a worker otherwise
 * carries whole (about 1.3 MB more old space each). Measured with one
 * pod sandbox process (wasm/pause.wasm members, medians of 3, load 10):
 * one more container in a pod 10.3 → 9.3 MiB RSS, 8.9 → 7.7 MiB PSS; a
 * single-container pod 78.7 → 75.0 MiB RSS; pod and member start-up
 * unchanged within the noise.
 */
function nodeFlags(entry: string): string[] {
  return entry === './sandbox_main.js' ? ['--no-node-snapshot'] : [];
}

/**
 * Start `entry` (a file next to this one in dist/) with `arg` and wait for
 * its report. `detached`: in its own session, not waited for (the caller
 * exits and the process is reparented, under containerd to the shim).
 * `stdio`: its fds 0–2 (default: this process's own). `consoleSocket`:
 * its fds 0–2 are a terminal whose master is sent there instead
 * (console.ts). Throws with the helper's own message when it failed.
 */
export async function startHelper(
  entry: string, arg: unknown, detached: boolean, stdio: ReadonlyArray<IOType | number> = ['inherit', 'inherit', 'inherit'], netns?: string,
  consoleSocket?: string,
): Promise<ChildProcess> {
  const argv = [process.execPath, ...nodeFlags(entry), ...helperArgv(entry), JSON.stringify(arg)];
  // Node cannot setns(2): nsenter (util-linux) joins the namespace and execs Node in it (same pid, no fork)
  if (netns !== undefined) argv.unshift(nsenterPath(netns), `--net=${netns}`, '--');
  // a terminal: python3 opens it, sends its master over the socket and execs the rest on the slave (console.ts)
  if (consoleSocket !== undefined) argv.unshift(...consolePrefix(consoleSocket));
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [...stdio, 'pipe'], detached });
  const pipe = child.stdio[3] as Readable;
  const report = await new Promise<ReadyReport | null>((resolve) => {
    let buf = '';
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => { buf += d; });
    pipe.on('error', () => resolve(null));
    pipe.on('close', () => {
      try {
        resolve(JSON.parse(buf.split('\n')[0]!) as ReadyReport);
      } catch {
        resolve(null);
      }
    });
  });
  pipe.destroy();
  if (!report || !report.ok) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const why = report && !report.ok ? report.error : `the helper process ended before it was ready (${child.exitCode ?? child.signalCode ?? 'no report'})`;
    throw new DetachedError('CONTROL', why);
  }
  if (detached) child.unref();
  return child;
}

/** nsenter's path, checked with the namespace `netns` (one line naming what is missing). */
function nsenterPath(netns: string): string {
  if (!existsSync(netns)) throw new DetachedError('BAD_BUNDLE', `network namespace ${netns} (config.json linux.namespaces) does not exist`);
  const found = ['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter', '/sbin/nsenter'].find((p) => existsSync(p));
  if (found === undefined) throw new DetachedError('UNSUPPORTED', `joining network namespace ${netns} needs nsenter (util-linux): install it`);
  return found;
}

/** The exit code of a child as a shell reports it (128+n for a signal). */
export function childExitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const done = () => {
      const sig = child.signalCode;
      resolve(sig ? 128 + (signalNum(sig) ?? 0) : child.exitCode ?? 0);
    };
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', done);
  });
}
