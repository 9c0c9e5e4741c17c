/**
 * How the wasm/ cases run: host directories for mounts and --rootfs, stdin
 * through a real pipe, `wasmvisor run` (the built CLI) and node:wasi (a
 * child process), TAP-ish output parsing, and keeping dist/ built for the
 * CLI. The cases themselves are in wasm_cases.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync,
  rmSync, statSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostTree, WasmCase } from './wasm_cases.js';

/** Repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the programs and their committed .wasm files live. */
export const WASM_DIR = join(REPO, 'wasm');
/** The `wasmvisor` CLI entry. */
export const WASMVISOR_BIN = join(REPO, 'bin/wasmvisor.js');
/** The node:wasi child-process runner. */
export const NODE_WASI_RUNNER = join(REPO, 'test/wasm/node_wasi_runner.mjs');

/** What one run produced. */
export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Read-only host directories (--rootfs, `:ro` binds) whose contents changed during the run. */
  changedReadOnly: string[];
}

/** A prepared case: host directories made, to be removed with `cleanup()`. */
export interface Prepared {
  /** `-v` specs `HOST:CTR[:ro]`. */
  volumes: string[];
  /** host directory per container path. */
  hostDirs: Map<string, string>;
  root: string;
  /** The `--rootfs` directory, if the case has one. */
  rootfs?: string;
  /** Host directories the container must not change (rootfs, read-only binds). */
  readOnly: string[];
  cleanup(): void;
}

/** Build `tree` under `dir`. */
export function buildTree(dir: string, tree: HostTree): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(tree.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  for (const [rel, existing] of Object.entries(tree.hardlinks ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    linkSync(join(dir, existing), join(dir, rel));
  }
  for (const [rel, target] of Object.entries(tree.symlinks ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    symlinkSync(target, join(dir, rel));
  }
}

/**
 * Everything observable about a host tree, one sorted line per entry: type,
 * mode, size, content digest or link target, mtime, and which entries share
 * an inode.
 */
export function snapshotTree(dir: string): string {
  const lines: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = '';
    if (st.isSymbolicLink()) what = `-> ${readlinkSync(p)}`;
    else if (st.isFile()) {
      what = createHash('sha256').update(readFileSync(p)).digest('hex');
      const first = inodes.get(st.ino);
      if (first !== undefined) what += ` same-inode-as ${first}`;
      else inodes.set(st.ino, rel);
    }
    lines.push(`${rel || '.'} ${st.mode.toString(8)} ${st.isDirectory() ? '' : st.size} ${st.mtimeMs} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return lines.join('\n');
}

/** Create the host directories a case mounts. */
export function prepare(c: WasmCase): Prepared {
  const root = mkdtempSync(join(tmpdir(), 'wv-case-'));
  const volumes: string[] = [];
  const hostDirs = new Map<string, string>();
  for (const [i, m] of (c.mounts ?? []).entries()) {
    const dir = join(root, `mount${i}`);
    mkdirSync(dir);
    for (const [rel, content] of Object.entries(m.files ?? {})) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    volumes.push(`${dir}:${m.container}${m.readonly ? ':ro' : ''}`);
    hostDirs.set(m.container, dir);
  }
  let rootfs: string | undefined;
  if (c.rootfs) {
    rootfs = join(root, 'rootfs');
    buildTree(rootfs, c.rootfs);
  }
  const readOnly = [...(rootfs ? [rootfs] : []), ...(c.mounts ?? []).filter((m) => m.readonly).map((m) => hostDirs.get(m.container)!)];
  return {
    volumes,
    hostDirs,
    root,
    rootfs,
    readOnly,
    cleanup: () => {
      chmodSync(root, 0o700);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A real pipe (a FIFO) holding `data` and already at EOF, for a child's
 * stdin: what `printf ... | wasmvisor run ...` gives in a shell. (Node's own
 * `stdio: 'pipe'` is a socketpair, a different kind of stdin.) Returns the
 * read end's fd; the caller closes it after spawning.
 */
function fifoWith(data: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'wv-stdin-'));
  const path = join(dir, 'stdin');
  execFileSync('mkfifo', [path]);
  try {
    const w = openSync(path, 'r+'); // O_RDWR: opening never blocks, and lets the reader open
    const r = openSync(path, 'r');
    const bytes = Buffer.from(data);
    if (bytes.length > 60_000) throw new Error('stdin for a case must fit in a pipe buffer');
    writeSync(w, bytes);
    closeSync(w); // the only writer goes: the reader sees the data, then EOF
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawn `cmd args` with `stdin` in a pipe, collect output; kill after `timeoutMs`. */
export function spawnCollect(cmd: string, args: string[], stdin: string | undefined, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const inFd = fifoWith(stdin ?? '');
    let child;
    try {
      child = spawn(cmd, args, { stdio: [inFd, 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    } finally {
      closeSync(inFd);
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut, changedReadOnly: [] });
    });
  });
}

/** Run a case under `wasmvisor run` (the built CLI). */
export async function runUnderWasmvisor(c: WasmCase, timeoutMs = 40_000): Promise<RunResult> {
  const p = prepare(c);
  try {
    const args = [WASMVISOR_BIN, 'run'];
    for (const v of p.volumes) args.push('-v', v);
    for (const [k, v] of Object.entries(c.env ?? {})) args.push('-e', `${k}=${v}`);
    if (c.workdir) args.push('-w', c.workdir);
    if (p.rootfs) args.push('--rootfs', p.rootfs);
    args.push(join(WASM_DIR, `${c.program}.wasm`), ...(c.args ?? []));
    const before = p.readOnly.map(snapshotTree);
    const r = await spawnCollect(process.execPath, args, c.stdin, timeoutMs);
    r.changedReadOnly = p.readOnly.filter((d, i) => snapshotTree(d) !== before[i]);
    return r;
  } finally {
    p.cleanup();
  }
}

/** Run a case under node:wasi with a fresh temp directory preopened as `/`. */
export async function runUnderNodeWasi(c: WasmCase, timeoutMs = 40_000): Promise<RunResult> {
  if (c.nodeWasi === false) throw new Error(`case ${c.name} does not run under node:wasi`);
  const p = prepare(c);
  try {
    const rootDir = join(p.root, 'root');
    mkdirSync(rootDir);
    const args = [NODE_WASI_RUNNER, '--dir', `${rootDir}:/`];
    for (const [ctr, host] of p.hostDirs) args.push('--dir', `${host}:${ctr}`);
    const env = { ...(c.env ?? {}), ...(c.nodeWasi.env ?? {}) };
    if (c.nodeWasi.skip?.length) env.TAP_SKIP = c.nodeWasi.skip.join(';');
    for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
    args.push('--', join(WASM_DIR, `${c.program}.wasm`), ...(c.args ?? []));
    return await spawnCollect(process.execPath, args, c.stdin, timeoutMs);
  } finally {
    p.cleanup();
  }
}

/** One parsed check line. */
export interface TapLine {
  name: string;
  ok: boolean;
  skipped: boolean;
  /** The failure detail after `: ` on a `not ok` line. */
  why?: string;
}

/** The checks and the summary line of a TAP-ish output (stdout and stderr together). */
export interface TapReport {
  checks: TapLine[];
  /** From `# N checks, F failed`, if present. */
  summary?: { checks: number; failed: number };
}

/** Parse `ok - NAME` / `not ok - NAME: why` / `# N checks, F failed` lines. */
export function parseTap(text: string): TapReport {
  const checks: TapLine[] = [];
  let summary: TapReport['summary'];
  for (const line of text.split('\n')) {
    let m = /^ok - (.*?)( # SKIP)?$/.exec(line);
    if (m) {
      checks.push({ name: m[1]!, ok: true, skipped: m[2] !== undefined });
      continue;
    }
    m = /^not ok - (.*?)(?:: (.*))?$/.exec(line);
    if (m) {
      checks.push({ name: m[1]!, ok: false, skipped: false, why: m[2] });
      continue;
    }
    m = /^# (\d+) checks, (\d+) failed$/.exec(line);
    if (m) summary = { checks: Number(m[1]), failed: Number(m[2]) };
  }
  return { checks, summary };
}

/** Newest modification time of any .ts file under `dir`. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Is `dist/` older than the TypeScript sources? */
function distIsStale(): boolean {
  const entry = join(REPO, 'dist/src/cli/wasmvisor.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  return built < Math.max(newestTs(join(REPO, 'src')), newestTs(join(REPO, 'kernel')));
}

/**
 * Make sure `dist/` (what `bin/wasmvisor.js` runs) is at least as new as the
 * TypeScript sources; `npm test` builds first, a lone `vitest run` may not.
 * Test files run in parallel: a lock directory lets one of them build while
 * the others wait, then find dist/ fresh.
 */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  const lock = join(tmpdir(), `wasmvisor-build-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock left by a killed run is taken over after 3 minutes
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      if (Date.now() > deadline) throw new Error(`waited too long for ${lock}: remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (distIsStale()) {
      try {
        execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', REPO], { stdio: 'inherit' });
      } catch (err) {
        // type errors still emit JavaScript; only a build that wrote nothing is fatal
        if (distIsStale()) throw err;
      }
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
