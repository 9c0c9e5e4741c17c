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
 * Same `files`, args, env, cwd, user and limits as runProgram. Fault rules,
 * the trace and the determinism switches are runProgram's (inline) only.
 */
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
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
    const files = opts.files;
    const lowers = files === undefined || typeof files === 'string' ? [] : ['root' in files && 'id' in files ? files as LayerTree : layerFromFiles(files as FileTree)];
    const { config, root } = runConfig({
      argv0: opts.argv0 ?? (typeof module === 'string' ? undefined : 'main.wasm'), file: typeof module === 'string' ? module : undefined,
      args: opts.args, env: opts.env, rootfs: typeof files === 'string' ? files : undefined, lowers,
      workdir: opts.cwd, user: opts.user, tmpfs: limits.tmpfs, memoryLimit: parseMemory(limits.memory), pidsLimit: limits.pids, fdLimit: limits.nofile,
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
