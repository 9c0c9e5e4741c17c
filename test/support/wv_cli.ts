/**
 * The built CLI (bin/wasmvisor.js) run as a process against a store of the
 * test's own ($WASMVISOR_ROOT), for the CLI tests that drive many commands.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');

/** What one CLI process did. */
export interface Ran { code: number | null; stdout: string; stderr: string }

/** Options of `storeCli`. */
export interface StoreCliOptions {
  /** `ok` also asserts that nothing was written on stderr. */
  quiet?: boolean;
}

/**
 * `wv(args, input)` runs `wasmvisor ARGS` with the store `store()` (read at
 * each call, so a `beforeAll` can make it) and returns what it did; `ok`
 * asserts exit 0 and returns stdout.
 */
export function storeCli(store: () => string, opts: StoreCliOptions = {}): { wv: (args: string[], input?: string) => Ran; ok: (args: string[], input?: string) => string } {
  const wv = (args: string[], input = ''): Ran => {
    const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: TOP, env: { ...process.env, WASMVISOR_ROOT: store() }, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (args: string[], input = ''): string => {
    const r = wv(args, input);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    if (opts.quiet) expect(r.stderr).toBe('');
    return r.stdout;
  };
  return { wv, ok };
}
