/**
 * Smoke test of bench/syscalls: one `--quick` run (counts / 100, one run per
 * host) must produce a measurement for every workload on every host. No
 * timing is asserted: only that each cell exists and is a positive time.
 * Needs dist/ (`npm test` builds it first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { itWithTools } from '../support/tools.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOSTS = ['wasmvisor', 'node:wasi', 'browser_wasi_shim'];
const WORKLOADS = ['fd_write', 'fd_writev', 'open_close', 'filestat', 'read', 'fd_readv'];

interface Cell {
  samples_ns: number[];
  median_ns: number;
  errors: string[];
}
interface Report {
  quick: boolean;
  hosts: string[];
  workloads: { id: string; info?: boolean; count: number; hosts: Record<string, Cell>; ratios: Record<string, number> }[];
  goal: { met: boolean } | null;
}

describe('bench/syscalls --quick', () => {
  it('produces a row for every workload with a sample for every host', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'syscalls.mjs'), '--quick', '--runs', '1', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as Report;
    expect(report.quick).toBe(true);
    expect(report.hosts).toEqual(HOSTS);
    const goalRows = report.workloads.filter((w) => !w.info);
    expect(goalRows.map((w) => w.id)).toEqual(WORKLOADS);
    expect(goalRows.find((w) => w.id === 'fd_write')!.count).toBe(10_000);
    for (const w of goalRows) {
      for (const h of HOSTS) {
        const cell = w.hosts[h];
        expect(cell, `${w.id} on ${h}`).toBeDefined();
        expect(cell.errors, `${w.id} on ${h}`).toEqual([]);
        expect(cell.samples_ns, `${w.id} on ${h}`).toHaveLength(1);
        expect(cell.median_ns, `${w.id} on ${h}`).toBeGreaterThan(0);
      }
      expect(Number.isFinite(w.ratios['wasmvisor/node:wasi'])).toBe(true);
      expect(Number.isFinite(w.ratios['wasmvisor/browser_wasi_shim'])).toBe(true);
    }
    expect(typeof report.goal?.met).toBe('boolean');
    expect(r.status).toBe(0);
  }, 180_000);

  itWithTools('clang')('committed bench/wasm/*.wasm match their sources', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bench', 'wasm', 'build.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/6 program\(s\) match their sources/);
  }, 60_000);
});
