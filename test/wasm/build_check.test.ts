/**
 * The committed wasm/*.wasm files are exactly what their wasm/*.c sources
 * build to (`node wasm/build.mjs --check`), so nothing needs clang to run
 * and nothing stale is ever run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { REPO } from '../support/wasm_cases.js';

describe('wasm/ build', () => {
  itWithTools('clang', 'wasm-ld')('every committed .wasm matches its source', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'wasm/build.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr, 'build.mjs --check complaints').toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wasm\/: \d+ program\(s\) match their sources\n$/);
  }, 120_000);

  itWithTools('clang', 'wasm-ld')('a copy elsewhere builds the same bytes, and a stale .wasm is caught', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-build-check-'));
    try {
      cpSync(join(REPO, 'wasm'), dir, { recursive: true });
      const check = () => spawnSync(process.execPath, [join(dir, 'build.mjs'), '--check'], { encoding: 'utf8' });
      const same = check();
      expect(same.stderr, 'the build does not depend on the checkout path').toBe('');
      expect(same.status).toBe(0);
      writeFileSync(join(dir, 'hello.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
      writeFileSync(join(dir, 'orphan.wasm'), '');
      const stale = check();
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('wasm/hello.wasm differs from what wasm/hello.c builds to');
      expect(stale.stderr).toContain('wasm/orphan.wasm has no source');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
