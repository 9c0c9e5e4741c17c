/**
 * Differential tests: each case that node:wasi can run goes through both
 * `wasmvisor run` and Node's own `node:wasi` (in a child process, a temp
 * directory preopened as `/`), and the two outputs are compared check by
 * check. Where node:wasi is known to be wrong (the case's
 * `nodeWasi.knownBad`), wasmvisor must pass the check and node:wasi must
 * still fail it, so the list of deviations stays true. Everything else must
 * agree line for line, along with the exit code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES, ensureBuilt, parseTap, runUnderNodeWasi, runUnderWasmvisor, type TapLine, type WasmCase } from '../support/wasm_cases.js';

beforeAll(() => ensureBuilt(), 180_000);

const COMPARED = CASES.filter((c): c is WasmCase & { nodeWasi: object } => c.nodeWasi !== false);

function names(lines: TapLine[]): string[] {
  return lines.map((l) => l.name);
}

describe('wasm/ cases: wasmvisor against node:wasi', () => {
  it('the differential set covers every behaviour family that node:wasi can run', () => {
    const programs = new Set(COMPARED.map((c) => c.program));
    for (const p of ['hello', 'files', 'dirs', 'symlinks', 'links', 'rename', 'readdir', 'stat', 'timestamps',
      'poll_sleep', 'clocks', 'random', 'args_env', 'stdio', 'exit_codes', 'errors']) {
      expect(programs.has(p), `${p} is compared`).toBe(true);
    }
  });

  for (const c of COMPARED) {
    it.concurrent(c.name, async () => {
      const [ours, node] = await Promise.all([runUnderWasmvisor(c), runUnderNodeWasi(c)]);
      const ourOut = ours.stdout + ours.stderr;
      const nodeOut = node.stdout + node.stderr;
      expect(ours.timedOut, `wasmvisor timed out:\n${ourOut}`).toBe(false);
      expect(node.timedOut, `node:wasi timed out:\n${nodeOut}`).toBe(false);

      if (c.tap === false) {
        expect(node.stdout, 'stdout').toBe(ours.stdout);
        expect(node.exitCode, 'exit code').toBe(ours.exitCode);
        return;
      }

      const plan = c.nodeWasi;
      const knownBad = new Set(plan.knownBad ?? []);
      const absent = new Set(plan.absent ?? []);
      const skipped = new Set(plan.skip ?? []);
      const unreliable = new Set(plan.unreliable ?? []);
      const pending = c.pending ?? {};
      const mine = parseTap(ourOut).checks;
      const theirs = parseTap(nodeOut).checks;

      // the same checks, in the same order, minus those node:wasi never reaches
      expect(names(theirs), `node:wasi runs the same checks; its output:\n${nodeOut}`).toEqual(names(mine).filter((n) => !absent.has(n)));

      const byName = new Map(theirs.map((l) => [l.name, l]));
      const agreeing: string[] = [];
      for (const m of mine) {
        const t = byName.get(m.name);
        if (m.name in pending) continue; // a known kernel bug; cases.test.ts tracks it
        expect(m.ok, `wasmvisor: ${m.name}: ${m.why ?? ''}`).toBe(true);
        if (!t) continue;
        if (unreliable.has(m.name)) {
          // compared neither way: node:wasi's answer varies between runs
        } else if (skipped.has(m.name)) {
          expect(t.skipped, `${m.name} is skipped under node:wasi`).toBe(true);
        } else if (knownBad.has(m.name)) {
          expect(t.ok, `node:wasi now passes "${m.name}": remove it from knownBad`).toBe(false);
        } else {
          expect(`${t.name}: ${t.ok ? 'ok' : `not ok: ${t.why ?? ''}`}`).toBe(`${m.name}: ok`);
          agreeing.push(m.name);
        }
      }
      for (const n of [...knownBad, ...absent, ...skipped, ...unreliable]) {
        expect(names(mine), `"${n}" is a check of ${c.program}`).toContain(n);
      }
      const nodeFails = theirs.some((l) => !l.ok); // an unreliable check may be the one
      expect(node.exitCode, 'node:wasi exit code').toBe(nodeFails ? 1 : 0);
      expect(agreeing.length, 'some checks are compared').toBeGreaterThan(0);
    });
  }
});
