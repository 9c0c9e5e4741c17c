/**
 * Run the built CLI (`dist/`, so `npm run build` first) as a child process,
 * for tests that must see what a user sees: exit code, stdout, the whole
 * stderr (warnings Node prints included) and the peak RSS. A `watch`
 * callback polled while the child runs can kill it (a bomb test must not
 * fill the disk or the memory of the machine when the code under test fails).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, '..', '..', 'bin', 'wasmvisor.js');
const PROBE = path.join(HERE, 'rss_probe.cjs');

/** What a CLI run gave. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** Peak RSS of the child in KiB (0 if it was killed). */
  peakRssKiB: number;
  /** Why `watch` killed it, if it did. */
  killed?: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Polled every 25 ms with the child's pid; a string return kills the child with that reason. */
  watch?: (pid: number) => string | undefined;
}

/** Run `wasmvisor ARGS` (stdin ignored) with `env` added. */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliRun> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wv-rss-'));
  const rssFile = path.join(tmp, 'rss');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', PROBE, BIN, ...args], {
      env: { ...process.env, ...opts.env, NO_COLOR: '1', WV_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killed: string | undefined;
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => { killed = 'timeout'; child.kill('SIGKILL'); }, opts.timeoutMs ?? 60_000);
    const poll = opts.watch && setInterval(() => {
      const why = child.pid !== undefined ? opts.watch!(child.pid) : undefined;
      if (why && !killed) {
        killed = why;
        child.kill('SIGKILL');
      }
    }, 25);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let peakRssKiB = 0;
      try {
        peakRssKiB = Number(readFileSync(rssFile, 'utf8'));
      } catch {
        /* killed before exit */
      }
      rmSync(tmp, { recursive: true, force: true });
      resolve({ code: code ?? (signal ? 128 : -1), out, err, peakRssKiB, killed });
    });
  });
}

/** The resident set of process `pid` now, in KiB (0 once it is gone). */
export function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
