/**
 * Issue 9, point 10b: image names that are also Object.prototype members
 * (`constructor`, `__proto__`, `toString`) must behave as any other absent
 * or present name, never as a JS TypeError. The CLI runs as a process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/image/content/store_root.js';
import { makeTar, writeOciLayout } from '../support/oci_fixtures.js';
import { runCli } from './cli_process.js';

const dirs: string[] = [];
const tmp = (p: string): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};

describe('image names that are Object.prototype members', () => {
  let root: string;
  let layout: string;
  const wv = (...a: string[]) => runCli(['--root', root, ...a]);

  beforeAll(async () => {
    root = tmp('wv-proto-store-');
    layout = path.join(tmp('wv-proto-layout-'), 'one');
    writeOciLayout(layout, {
      tag: 't',
      config: { config: { Entrypoint: ['/app.wasm'] } },
      layers: [{ tar: await makeTar([{ name: 'app.wasm', data: '\0asm\x01\0\0\0', mode: 0o755 }]) }],
    });
    const l = await wv('load', '-i', layout);
    expect(l.code, l.err).toBe(0);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const noTypeError = (r: { err: string }): void => {
    expect(r.err).not.toMatch(/TypeError|Cannot read properties|is not a function/);
  };

  it('images / inspect / rmi / run of an absent `constructor`, `__proto__`, `toString` say "not in the store"', async () => {
    const images = await wv('images', 'constructor');
    noTypeError(images);
    expect(images.code).toBe(0);
    expect(images.out.trim().split('\n')).toHaveLength(1); // the header only

    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const inspect = await wv('inspect', name);
      noTypeError(inspect);
      expect(inspect.code, name).toBe(125);
      expect(inspect.err).toBe(`wasmvisor: image ${name} is not in the store; pull it first (wasmvisor pull ${name})\n`);
      const rmi = await wv('rmi', name);
      noTypeError(rmi);
      expect(rmi.code, name).toBe(1); // as docker rmi of an absent image
      expect(rmi.err).toMatch(`image ${name} is not in the store`);
    }
    // `constructor` is a valid reference: run looks it up (and must not pull here)
    const run = await wv('run', '--pull=never', 'constructor');
    noTypeError(run);
    expect(run.code).toBe(125);
    expect(run.err).toMatch('image constructor is not in the store');
    // `toString` and `__proto__` are neither host files nor valid references: run names the reference's fault, as pull does
    for (const name of ['toString', '__proto__']) {
      const r = await wv('run', name);
      noTypeError(r);
      expect(r.code).toBe(125);
      expect(r.err).toMatch(new RegExp(`^wasmvisor: invalid image reference "${name}": .+\n$`));
    }
  }, 60_000);

  it('pull / load -t refuse `__proto__` as a reference; `load -t constructor` names, lists, inspects and removes it', async () => {
    const pull = await wv('pull', '__proto__');
    noTypeError(pull);
    expect(pull.code).toBe(125);
    expect(pull.err).toMatch('invalid image reference "__proto__"');
    const bad = await wv('load', '-t', '__proto__', '-i', layout);
    noTypeError(bad);
    expect(bad.code).toBe(125);
    expect(bad.err).toMatch('invalid image reference "__proto__"');

    const load = await wv('load', '-t', 'constructor', '-i', layout);
    expect(load.code, load.err).toBe(0);
    expect(load.out).toBe('Loaded image: docker.io/library/constructor:latest\n');
    expect((await wv('images', 'constructor')).out).toMatch(/docker.io\/library\/constructor\s+latest/);
    const inspect = await wv('inspect', 'constructor');
    expect(inspect.code, inspect.err).toBe(0);
    expect(inspect.out).toMatch('docker.io/library/constructor:latest');
    const rmi = await wv('rmi', 'constructor');
    expect(rmi.code, rmi.err).toBe(0);
    expect(rmi.out).toMatch('Untagged: docker.io/library/constructor:latest');
    const after = JSON.parse(readFileSync(path.join(root, 'images.json'), 'utf8')) as { images: Record<string, unknown> };
    expect(Object.keys(after.images).sort()).toEqual(['localhost/one:t']);
  }, 60_000);

  it('the name index keeps `__proto__` and `constructor` as plain keys through images.json', async () => {
    const store = await openStore(tmp('wv-proto-lib-'));
    const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1 };
    expect(await store.images.get('__proto__')).toBeUndefined();
    expect(await store.images.get('constructor')).toBeUndefined();
    await store.images.put('__proto__', target);
    await store.images.put('constructor', target);
    expect((await store.images.get('__proto__'))?.target).toEqual(target);
    expect((await store.images.list()).map((r) => r.name)).toEqual(['__proto__', 'constructor']);
    const file = JSON.parse(readFileSync(path.join(store.root, 'images.json'), 'utf8')) as { images: Record<string, unknown> };
    expect(Object.keys(file.images).sort()).toEqual(['__proto__', 'constructor']);
    expect((await store.images.delete('__proto__'))?.name).toBe('__proto__');
    expect((await store.images.list()).map((r) => r.name)).toEqual(['constructor']);
    expect(await store.images.get('toString')).toBeUndefined();
  });
});
