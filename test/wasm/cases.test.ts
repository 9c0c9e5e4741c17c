/**
 * Every case of test/support/wasm_cases.ts under `wasmvisor run`: the
 * program's own checks must all pass, the exit code and any exact output
 * must match. Also: every wasm/*.c program has a case.
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES, CLI_CASES, WASM_DIR, ensureBuilt, parseTap, runUnderWasmvisor } from '../support/wasm_cases.js';

const ALL = [...CASES, ...CLI_CASES];

beforeAll(() => ensureBuilt(), 180_000);

describe('wasm/ cases under wasmvisor run', () => {
  it('every wasm/*.c program has a case, and every case a program', () => {
    const programs = readdirSync(WASM_DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
    const covered = new Set(ALL.map((c) => c.program));
    expect(programs.filter((p) => !covered.has(p)), 'programs without a case').toEqual([]);
    expect([...covered].filter((p) => !programs.includes(p)), 'cases without a program').toEqual([]);
    expect(new Set(ALL.map((c) => c.name)).size, 'case names are unique').toBe(ALL.length);
  });

  for (const c of ALL) {
    it.concurrent(c.name, async () => {
      const r = await runUnderWasmvisor(c);
      const out = r.stdout + r.stderr;
      expect(r.timedOut, `timed out; output so far:\n${out}`).toBe(false);
      expect(r.changedReadOnly, 'read-only host directories (--rootfs, :ro binds) are never changed').toEqual([]);
      if (c.tap !== false) {
        const tap = parseTap(out);
        const pending = c.pending ?? {};
        const failed = tap.checks.filter((l) => !l.ok && !(l.name in pending)).map((l) => `${l.name}: ${l.why ?? ''}`);
        expect(failed, `failed checks; output:\n${out}`).toEqual([]);
        const fixed = tap.checks.filter((l) => l.ok && l.name in pending).map((l) => l.name);
        expect(fixed, 'these now pass: remove them from `pending` in test/support/wasm_cases.ts').toEqual([]);
        const stillPending = tap.checks.filter((l) => !l.ok).map((l) => l.name);
        for (const n of stillPending) process.stderr.write(`*** PENDING kernel bug in case ${c.name}: ${n} (${pending[n]})\n`);
        expect(tap.summary, `no summary line; output:\n${out}`).toBeDefined();
        expect(tap.summary!.failed).toBe(stillPending.length);
        expect(tap.summary!.checks, 'summary counts every check line').toBe(tap.checks.filter((l) => !l.skipped).length);
        expect(tap.checks.some((l) => l.skipped), 'nothing is skipped under wasmvisor').toBe(false);
      }
      if (c.stdout !== undefined) expect(r.stdout).toBe(c.stdout);
      if (c.stderr !== undefined) expect(r.stderr).toBe(c.stderr);
      const pendingFailures = c.tap !== false && parseTap(out).checks.some((l) => !l.ok);
      expect(r.exitCode, `exit code; output:\n${out}`).toBe(pendingFailures ? 1 : (c.exit ?? 0));
    });
  }
});
