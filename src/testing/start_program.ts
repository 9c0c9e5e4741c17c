/**
 * `startProgram`: the multi-process variant of `runProgram`, on the library
 * `Runtime` (sentry platform: a kernel worker, one app worker per process),
 * for tests that need a running container: exec into it, send signals,
 * pause and resume it, see its changes while it runs.
 *
 *     const p = await startProgram('server.wasm', { files: { '/etc/app.conf': 'x=1' } });
 *     const e = await p.exec(['hello.wasm'], { module: 'hello.wasm' });
 *     await p.pause(); await p.resume();
 *     await p.kill('SIGTERM');
 *     const r = await p.wait();        // { exitCode, signal, stdout, stderr }
 *     await p.close();                 // deletes the container (and the Runtime it made)
 *
 * Same `files`, args, env, cwd, user, limits, clock, random, faults and
 * trace as runProgram: the switches travel in the container's config to the
 * Sentry, whose kernel applies them, so every process of the container sees
 * one virtual clock, one seeded stream and one set of fault counters.
 *
 *     const p = await startProgram('clock.wasm', { clock: { realtime: '2024-01-01T00:00:00Z' }, stdin: 'pipe' });
 *     await p.advanceClock(3_600_000);  // the program's next clock reading is an hour later
 *     const trace = await p.trace();    // every process's calls so far, injected faults marked
 */
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { FaultRule } from '../../kernel/syscalls/faults.js';
import type { TestingSpec } from '../sentry/control_plane.js';
import type { TraceEntry } from './trace.js';
import { VirtualClock, type ClockOptions } from './virtual_host.js';
import type { Container, ExecOptions } from '../runtime/container.js';
import { runConfig } from '../runtime/run_config.js';
import { Runtime } from '../runtime/runtime.js';
import { layerFromFiles, type FileTree } from './files.js';
import type { ProgramLimits, ProgramSource } from './run_program.js';

/** Options of `startProgram`. */
export interface StartProgramOptions {
  args?: string[];
  argv0?: string;
  env?: Record<string, string> | string[];
  /** As runProgram's: an object, a host directory or a layer. */
  files?: FileTree | string | LayerTree;
  cwd?: string;
  user?: { uid: number; gid: number };
  limits?: ProgramLimits;
  /** 'pipe': write the program's stdin with `handle.container.init.stdin` (default: EOF). */
  stdin?: 'pipe' | 'null';
  /** A Runtime to use (kept open by close); default: one made for this program. */
  runtime?: Runtime;
  /** A virtual clock, as runProgram's (a VirtualClock is read where it stands and kept in step by `advanceClock`). */
  clock?: VirtualClock | ClockOptions;
  /** Seeded `random_get`: a seed, or `{ seed }`. */
  random?: number | { seed: number };
  /** Fault rules, as runProgram's; the kernel in the Sentry applies them to every process of the container. */
  faults?: FaultRule[];
  /** Record the syscall trace of every process (default false; on when `faults` are given); read it with `trace()`. */
  trace?: boolean;
}

/** How a process of the container ended, with its captured output. */
export interface ProcessResult {
  exitCode: number;
  /** Signal name (`SIGTERM`) if one ended it. */
  signal?: string;
  reason?: string;
  stdout: string;
  stderr: string;
}

/** A running program in its container. */
export interface ProgramHandle {
  /** The library container (lifecycle, stats, diff, processes). */
  readonly container: Container;
  /** Run another process in the container; resolves once it ended. */
  exec(args: string[], opts?: Omit<ExecOptions, 'process'> & { env?: string[]; cwd?: string }): Promise<ProcessResult>;
  /** Signal the program (default SIGTERM). */
  kill(sig?: string | number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Wait for the program to end. */
  wait(): Promise<ProcessResult>;
  /** Delete the container (killing what still runs), and the Runtime if this made it. */
  close(): Promise<void>;
  /** Move the container's virtual clock forward by `ms` (the program sees it at its next reading); needs `clock`. */
  advanceClock(ms: number): Promise<void>;
  /** The calls of every process so far ([] unless `trace` or `faults`). */
  trace(): Promise<TraceEntry[]>;
}

/** The container's TestingSpec for `opts`, or undefined when no switch is on. */
function testingSpec(opts: StartProgramOptions, clock: VirtualClock | undefined): TestingSpec | undefined {
  const seed = typeof opts.random === 'number' ? opts.random : opts.random?.seed;
  const tracing = opts.trace === true || (opts.trace === undefined && (opts.faults?.length ?? 0) > 0);
  if (clock === undefined && seed === undefined && (opts.faults?.length ?? 0) === 0 && !tracing) return undefined;
  const t: TestingSpec = {};
  if (clock !== undefined) t.clock = clock.toSpec();
  if (seed !== undefined) t.seed = seed;
  if (opts.faults !== undefined && opts.faults.length > 0) t.faults = opts.faults;
  if (tracing) t.trace = true;
  return t;
}

function parseMemory(v: number | string | undefined): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw new Error(`limits.memory ${v}: give bytes or a size such as 64m`);
  return Math.floor(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']);
}

/** Start `module` in a fresh container on a Runtime; see StartProgramOptions. */
export async function startProgram(module: ProgramSource, opts: StartProgramOptions = {}): Promise<ProgramHandle> {
  const own = opts.runtime === undefined;
  const rt = opts.runtime ?? await Runtime.create();
  try {
    const limits = opts.limits ?? {};
    const clock = opts.clock === undefined ? undefined : opts.clock instanceof VirtualClock ? opts.clock : new VirtualClock(opts.clock);
    const files = opts.files;
    const lowers = files === undefined || typeof files === 'string' ? [] : ['root' in files && 'id' in files ? files as LayerTree : layerFromFiles(files as FileTree)];
    const { config, root } = runConfig({
      argv0: opts.argv0 ?? (typeof module === 'string' ? undefined : 'main.wasm'), file: typeof module === 'string' ? module : undefined,
      args: opts.args, env: opts.env, rootfs: typeof files === 'string' ? files : undefined, lowers,
      workdir: opts.cwd, user: opts.user, tmpfs: limits.tmpfs, memoryLimit: parseMemory(limits.memory), pidsLimit: limits.pids, fdLimit: limits.nofile,
      testing: testingSpec(opts, clock),
    });
    const c = await rt.create({ module, config, rootfs: root, stdin: opts.stdin ?? 'null' });
    await c.start();
    const result = async (w: Promise<{ exitCode: number; signal?: string; reason?: string }>, p: { stdout: { text(): string }; stderr: { text(): string } }): Promise<ProcessResult> => {
      const r = await w;
      const out: ProcessResult = { exitCode: r.exitCode, stdout: p.stdout.text(), stderr: p.stderr.text() };
      if (r.signal !== undefined) out.signal = r.signal;
      if (r.reason !== undefined) out.reason = r.reason;
      return out;
    };
    return {
      container: c,
      exec: async (args, o = {}) => {
        const { env, cwd, ...rest } = o;
        const proc = await c.exec({ ...rest, process: { args, env: env ?? config.process?.env, cwd: cwd ?? config.process?.cwd ?? '/' } });
        return result(proc.wait(), proc);
      },
      kill: (sig = 'SIGTERM') => c.kill(sig),
      pause: () => c.pause(),
      resume: () => c.resume(),
      wait: () => result(c.wait(), c.init),
      advanceClock: async (ms) => {
        await c.advanceClock(ms);
        clock?.advance(ms);
      },
      trace: () => c.trace(),
      close: async () => {
        try {
          await c.delete({ force: true });
        } finally {
          if (own) await rt.close();
        }
      },
    };
  } catch (e) {
    if (own) await rt.close();
    throw e;
  }
}
