/**
 * The preview1 rules real programs and the wasi-testsuite rely on (rights
 * by file type, EISDIR/ENOTDIR/EPERM/EBADF/ENOTCAPABLE, APPEND, dup2-style
 * renumber of stdio, closing a preopen), checked end to end by a stock
 * wasi-libc program using raw <wasi/api.h> calls, under `wasmvisor run`
 * with an empty root and with a host --rootfs (which must stay unmodified).
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWasm } from '../../src/runtime/run_wasm.js';

const RULES = join(import.meta.dirname, 'fixtures/preview1_rules.wasm');

function verdict(out: string): string[] {
  return out.split('\n').filter((l) => l.startsWith('not ok'));
}

describe('preview1 rules through wasi-libc', () => {
  it('hold on the default in-memory root', async () => {
    const r = await runWasm({ file: RULES, stdout: 'capture' });
    expect(verdict(r.stdout!)).toEqual([]);
    expect(r.stdout).toContain('via 77\n');
    expect(r.stdout!.match(/^ok - /gm)!.length).toBe(36);
    expect(r.exitCode).toBe(0);
  });

  it('hold over a host --rootfs, which is never modified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-rules-'));
    writeFileSync(join(dir, 'keep'), 'x');
    const r = await runWasm({ file: RULES, rootfs: dir, stdout: 'capture' });
    expect(verdict(r.stdout!)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(readdirSync(dir)).toEqual(['keep']);
  });
});
