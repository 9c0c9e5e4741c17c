/**
 * The README's promises, checked: its library example runs as written
 * (against the built dist/), and its demo command names scripts that exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('library example runs as written', () => {
    const m = /```ts\n([\s\S]*?)```/.exec(readme);
    expect(m, 'README has a ```ts library example').not.toBeNull();
    const entry = path.join(root, 'dist', 'src', 'index.js');
    expect(existsSync(entry), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const code = m![1]
      .replace("from 'wasmvisor'", `from ${JSON.stringify(entry)}`)
      .replace("'prog.wasm'", JSON.stringify(path.join(root, 'wasm', 'hello.wasm')));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wv-readme-')), 'example.mjs');
    writeFileSync(file, code);
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/^0 hello from wasmvisor\narg 1: x\n/);
  });

  it('quick-start commands name real scripts and files', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(readme).toContain('npm install && npm run demo');
    expect(pkg.scripts.demo).toContain('src/image/samples/hello');
    expect(existsSync(path.join(root, 'src/image/samples/hello/index.json'))).toBe(true);
    expect(readme).toContain('.ci/run');
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toContain('npm test');
  });
});
