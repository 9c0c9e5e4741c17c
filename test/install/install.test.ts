/**
 * Install (issue 15 point 6): the `npm pack` tarball installed into a temp
 * prefix (`npm install -g --prefix`) gives working `wasmvisor` and
 * `wasmvisor-runc` commands and runs the demo, so `files` in package.json
 * cannot miss a file; and `npm install` leaves the tracked lock file as it is.
 * Needs the built dist/ (`npm run build`) and npm's cache or registry for
 * the runtime dependencies.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm pack → npm install -g --prefix', () => {
  it('installs wasmvisor and wasmvisor-runc on the prefix\'s PATH; --version and the demo run from it', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wv-install-'));
    const pack = run('npm', ['pack', '--pack-destination', tmp, '--ignore-scripts', '--loglevel=error'], TOP);
    expect(pack.code, pack.err).toBe(0);
    const tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
    const prefix = join(tmp, 'prefix');
    const inst = run('npm', ['install', '-g', '--prefix', prefix, tarball, ...NPM_FLAGS], tmp);
    expect(inst.code, inst.err).toBe(0);
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const version = JSON.parse(readFileSync(join(TOP, 'package.json'), 'utf8')).version as string;
    // by name on PATH, from a directory outside the source tree
    expect(run('wasmvisor', ['--version'], tmp, env).out.trim()).toBe(version);
    expect(run('which', ['wasmvisor-runc'], tmp, env).out.trim()).toBe(join(prefix, 'bin', 'wasmvisor-runc'));
    expect(run('wasmvisor-runc', ['--help'], tmp, env).code).toBe(0);
    // the demo: load the bundled layout shipped in the package and run its image and its artifact twin
    const pkg = join(prefix, 'lib', 'node_modules', 'wasmvisor');
    const store = join(tmp, 'store');
    expect(run('wasmvisor', ['--root', store, 'load', '-i', join(pkg, 'src/image/samples/hello')], tmp, env).code).toBe(0);
    const demo = run('wasmvisor', ['--root', store, 'run', 'localhost/wasmvisor/hello:latest', 'from', 'the', 'bundled', 'image'], tmp, env);
    expect(demo.err).toBe('');
    expect(demo.out).toContain('hello from wasmvisor');
    expect(run('wasmvisor', ['--root', store, 'run', 'localhost/wasmvisor/hello:artifact'], tmp, env).out).toContain('hello from wasmvisor');
    // a file the package ships for the CLI's own use (cp's guest program), and a module run from the package
    expect(run('wasmvisor', ['run', join(pkg, 'wasm/hello.wasm'), 'x'], tmp, env).out).toContain('hello from wasmvisor');
    expect(run('wasmvisor', ['--root', store, 'info', '--format', '{{.Store.GraphRoot}}'], tmp, env).out).toBe(`${store}\n`);
  }, 900_000);

  it('npm install leaves the tracked package-lock.json unchanged', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wv-lock-'));
    copyFileSync(join(TOP, 'package.json'), join(tmp, 'package.json'));
    copyFileSync(join(TOP, 'package-lock.json'), join(tmp, 'package-lock.json'));
    const r = run('npm', ['install', '--package-lock-only', ...NPM_FLAGS], tmp);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(tmp, 'package-lock.json'), 'utf8')).toBe(readFileSync(join(TOP, 'package-lock.json'), 'utf8'));
  }, 600_000);
});

describe('README', () => {
  it('says how to put both commands on PATH, and names no file outside a clone', () => {
    const readme = readFileSync(join(TOP, 'README.md'), 'utf8');
    expect(readme).toContain('npm install -g .');
    expect(readme).toContain('npm link');
    expect(readme).toContain('wasmvisor-runc --version');
    expect(readme).not.toMatch(/\.\.\/shared\//);
  });
});
