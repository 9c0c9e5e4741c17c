/**
 * The kernel's conformance suite (every wasm/ case of
 * test/support/wasm_cases.ts) on the sentry platform: the same programs,
 * checks, exit codes and outputs as under `wasmvisor run` (inline), but
 * each run as a container through the library, its calls crossing the SAB
 * channel to the Sentry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { CASES, WASM_DIR, ensureBuilt, parseTap, prepare, type WasmCase } from '../support/wasm_cases.js';
import { requireDist } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  ensureBuilt();
  rt = await Runtime.create({ poolSize: 4 });
}, 180_000);
afterAll(async () => { await rt?.close(); });

async function runOnSentry(c: WasmCase): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const p = prepare(c);
  try {
    const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`);
    if (c.workdir && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${c.workdir}`);
    const mounts = (c.mounts ?? []).map((m) => ({
      destination: m.container, type: 'bind', source: p.hostDirs.get(m.container)!, options: ['rbind', m.readonly ? 'ro' : 'rw'],
    }));
    const ct = await rt.create({
      module: readFileSync(join(WASM_DIR, `${c.program}.wasm`)),
      config: { process: { args: [`${c.program}.wasm`, ...(c.args ?? [])], env, cwd: c.workdir ?? '/' }, mounts },
      stdin: c.stdin === undefined ? 'null' : 'pipe',
    });
    await ct.start();
    if (c.stdin !== undefined) {
      await ct.init.write(c.stdin);
      await ct.init.closeStdin();
    }
    const r = await ct.wait();
    const out = { exitCode: r.exitCode, stdout: ct.init.stdout.text(), stderr: ct.init.stderr.text() };
    await ct.delete();
    return out;
  } finally {
    p.cleanup();
  }
}

describe('wasm/ cases on the sentry platform', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const r = await runOnSentry(c);
      const out = r.stdout + r.stderr;
      if (c.tap !== false) {
        const tap = parseTap(out);
        const pending = c.pending ?? {};
        const failed = tap.checks.filter((l) => !l.ok && !(l.name in pending)).map((l) => `${l.name}: ${l.why ?? ''}`);
        expect(failed, `failed checks; output:\n${out}`).toEqual([]);
        expect(tap.summary, `no summary line; output:\n${out}`).toBeDefined();
        expect(tap.checks.some((l) => l.skipped), 'nothing is skipped').toBe(false);
      }
      if (c.stdout !== undefined) expect(r.stdout).toBe(c.stdout);
      if (c.stderr !== undefined) expect(r.stderr).toBe(c.stderr);
      const pendingFailures = c.tap !== false && parseTap(out).checks.some((l) => !l.ok);
      expect(r.exitCode, `exit code; output:\n${out}`).toBe(pendingFailures ? 1 : (c.exit ?? 0));
    });
  }
});
