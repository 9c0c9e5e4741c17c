/**
 * Builds the bundled sample layout `src/image/samples/hello/` from
 * `wasm/hello.wasm` with `pack` and `save` in a throw-away store. Fixed
 * SOURCE_DATE_EPOCH: the same module gives the same bytes.
 *
 *   npm run build && node dist/src/image/samples/build.js [--check]
 *
 * `--check` builds into a temp dir and fails if the committed layout differs.
 */
import { existsSync, mkdtempSync, promises as fsp, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packImage } from '../layout/pack.js';
import { saveImages } from '../layout/save.js';
import { openStore } from '../content/store_root.js';
import { SAMPLE_ARTIFACT, SAMPLE_IMAGE } from './index.js';

/** The fixed build time of the samples (2024-01-01T00:00:00Z). */
export const SAMPLE_EPOCH = 1_704_067_200;

/** Write the sample layout into `out` (replacing it) from the module at `wasm`. */
export async function buildSamples(out: string, wasm: string): Promise<void> {
  const store = await openStore(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-')));
  try {
    const labels = { 'org.opencontainers.image.description': 'wasmvisor bundled sample: hello' };
    await packImage(store, {
      add: [{ src: wasm, dest: '/hello.wasm' }], entrypoint: ['/hello.wasm'], env: ['PATH=/'], workdir: '/',
      labels, tags: [SAMPLE_IMAGE], sourceDateEpoch: SAMPLE_EPOCH,
    });
    await packImage(store, { artifact: true, add: [{ src: wasm, dest: '/hello.wasm' }], labels, tags: [SAMPLE_ARTIFACT], sourceDateEpoch: SAMPLE_EPOCH });
    await fsp.rm(out, { recursive: true, force: true });
    await saveImages(store, [SAMPLE_IMAGE, SAMPLE_ARTIFACT], out, { format: 'oci-dir' });
  } finally {
    await fsp.rm(store.root, { recursive: true, force: true });
  }
}

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
      else out.set(`${rel}${n}`, readFileSync(p));
    }
  };
  walk(dir, '');
  return out;
}

/** True if the layout at `a` has the same files and bytes as `b`. */
export function sameLayout(a: string, b: string): boolean {
  const fa = files(a);
  const fb = files(b);
  return fa.size === fb.size && [...fa].every(([k, v]) => fb.get(k)?.equals(v) === true);
}

/** The checkout's root: the nearest directory above this module with a package.json. */
function repoRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(d, 'package.json')) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

async function main(argv: string[]): Promise<number> {
  const root = repoRoot();
  const wasm = path.join(root, 'wasm', 'hello.wasm');
  const target = path.join(root, 'src', 'image', 'samples', 'hello');
  if (argv.includes('--check')) {
    const tmp = path.join(mkdtempSync(path.join(os.tmpdir(), 'wv-samples-check-')), 'hello');
    await buildSamples(tmp, wasm);
    if (!sameLayout(tmp, target)) {
      process.stderr.write(`${target} is out of date with ${wasm}; run: npm run build && node dist/src/image/samples/build.js\n`);
      return 1;
    }
    return 0;
  }
  await buildSamples(target, wasm);
  process.stdout.write(`wrote ${target}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: Error) => { process.stderr.write(`${e.message}\n`); process.exitCode = 1; });
}
