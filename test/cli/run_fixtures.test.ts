/**
 * The committed test/cli/fixtures/*.wasm match their C sources: each is
 * rebuilt with Debian's clang (the command in its header) into a temp dir
 * and compared byte for byte. Skipped loudly without clang, a failure in CI.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { itWithTools } from '../support/tools.js';

const FIX = join(import.meta.dirname, 'fixtures');

describe('test/cli fixtures', () => {
  itWithTools('clang')('every .wasm is built from its .c', () => {
    const sources = readdirSync(FIX).filter((f) => f.endsWith('.c'));
    const wasms = readdirSync(FIX).filter((f) => f.endsWith('.wasm'));
    expect(wasms.sort()).toEqual(sources.map((s) => s.replace(/\.c$/, '.wasm')).sort());
    const tmp = mkdtempSync(join(tmpdir(), 'wv-fixtures-'));
    for (const src of sources) {
      const out = src.replace(/\.c$/, '.wasm');
      copyFileSync(join(FIX, src), join(tmp, src));
      execFileSync('clang', ['--target=wasm32-wasi', '-O2', '-Wl,--strip-all', src, '-o', out], { cwd: tmp });
      expect(readFileSync(join(tmp, out)).equals(readFileSync(join(FIX, out))), `${out} differs from a rebuild of ${src}`).toBe(true);
    }
  });
});
