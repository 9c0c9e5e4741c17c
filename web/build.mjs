#!/usr/bin/env node
/**
 * Builds the playground into dist/playground/ (run by `npm run build`, after
 * tsc): the page and its two workers bundled with esbuild (ESM, minified,
 * code split), index.html and the styles, and the bundled sample images as
 * one OCI image layout (dist/playground/samples/) packed from wasm/ programs
 * with the library's own `pack` and `save` (deterministic: fixed
 * SOURCE_DATE_EPOCH). `wasmvisor serve` serves that folder.
 *
 *   node web/build.mjs            bundle and samples
 *   node web/build.mjs --no-min   bundle unminified (debugging)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'playground');

/**
 * The sample programs: wasm/NAME.wasm (or PROGRAM.wasm) at /bin/NAME, and what each image runs. The
 * programs are in one base layer, but those marked `own` are in their sample's layer (with its `files`);
 * `ports` become the label the page publishes them from.
 */
export const SAMPLES = [
  { name: 'hello', entrypoint: ['/bin/hello'], cmd: ['from', 'the playground'], about: 'prints a greeting and its arguments' },
  { name: 'readline', entrypoint: ['/bin/readline'], cmd: [], terminal: true, about: 'interactive: a line editor of its own on raw stdin; type, then Enter; `exit` ends it' },
  { name: 'ticker', entrypoint: ['/bin/ticker'], cmd: ['0', '200'], about: 'prints a tick every 200 ms, forever: pause and resume it' },
  { name: 'spin', entrypoint: ['/bin/spin'], cmd: [], about: 'a busy loop with no system calls, forever: kill it' },
  { name: 'memhog', entrypoint: ['/bin/memhog'], cmd: ['0', 'file'], about: 'writes MiB after MiB into /tmp (charged to its memory cgroup) until the OOM killer ends it' },
  { name: 'cat', entrypoint: ['/bin/cat'], cmd: ['/etc/motd'], about: 'prints files: drag a file in, then run cat on it (exec)' },
  { name: 'trap', program: 'exit_codes', own: true, entrypoint: ['/bin/trap'], cmd: ['trap'], about: 'executes an `unreachable` instruction: a WebAssembly trap ends it' },
  { name: 'probe', program: 'syscall_probe', own: true, entrypoint: ['/bin/probe'], cmd: ['mkdir:/tmp/d', 'open:/etc/motd', 'unlink:/etc/motd', 'echo:done'], about: 'makes one system call per argument and prints each answer: give it a seccomp profile' },
  {
    name: 'http', program: 'http_server', own: true, entrypoint: ['/bin/http'], cmd: ['/www'], ports: [8080],
    files: { '/www/index.html': '<!doctype html><title>wasmvisor</title><h1>Served by wasm/http_server in the playground\'s kernel</h1>\n' },
    about: 'an HTTP/1.1 file server on its published port 8080: fetch /ports/8080/ from this page',
  },
];

/**
 * `node:*` imports of modules the page reaches but whose Node parts it never
 * calls (digest.ts's createHash, for one) resolve to an empty module: the
 * bundle then has no import the browser cannot load.
 */
const nodeStub = {
  name: 'node-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Replace `file` with `data` in one rename (a page loading meanwhile sees the old or the new, never half). */
function writeAtomic(file, data) {
  writeFileSync(`${file}.tmp-${process.pid}`, data);
  renameSync(`${file}.tmp-${process.pid}`, file);
}

/**
 * Bundle into dist/playground. Nothing is removed first: scripts are named
 * by hash, index.html (which names them) is replaced last in one rename,
 * and scripts of earlier builds go only once they are ten minutes old, so
 * a page (or a test) loading during a rebuild keeps working.
 */
async function bundle(minify) {
  mkdirSync(out, { recursive: true });
  const common = {
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outdir: out, minify, legalComments: 'none', logLevel: 'warning',
    // every script is named by its content's hash: `wasmvisor serve` lets the browser cache them for good
    entryNames: '[name]-[hash]',
    // tar-stream's event emitter: the pure-JS one instead of Node's `events`
    alias: { events: 'bare-events' },
    plugins: [nodeStub],
    metafile: true,
  };
  // the page is split (the terminal is a chunk it loads beside the runtime's start); each worker is one file with
  // nothing to import, so that it starts without a waterfall of chunk fetches
  const builds = await Promise.all([
    esbuild.build({ ...common, entryPoints: { page: join(root, 'web/playground/page.ts') }, splitting: true }),
    // the first statement of the Sentry's script notes when it started (the page marks it: see sentry_worker.ts)
    esbuild.build({ ...common, entryPoints: { sentry_worker: join(root, 'web/playground/sentry_worker.ts') }, splitting: false, banner: { js: 'globalThis.__wasmvisorStart = performance.timeOrigin + performance.now();' } }),
    esbuild.build({ ...common, entryPoints: { app_worker: join(root, 'src/sentry/app_worker.ts') }, splitting: false }),
  ]);
  const r = { metafile: { outputs: Object.assign({}, ...builds.map((b) => b.metafile.outputs)) } };
  const names = {};
  for (const [file, o] of Object.entries(r.metafile.outputs)) {
    if (o.entryPoint) names[/([a-z_]+)-[A-Z0-9]+\.js$/.exec(file)[1]] = file.split('/').pop();
  }
  // index.html names the hashed page and worker scripts
  const html = readFileSync(join(root, 'web/playground/index.html'), 'utf8')
    .replaceAll('./page.js', `./${names.page}`).replace('%SENTRY_WORKER%', `./${names.sentry_worker}`).replace('%APP_WORKER%', `./${names.app_worker}`);
  writeAtomic(join(out, 'style.css'), readFileSync(join(root, 'node_modules/@xterm/xterm/css/xterm.css'), 'utf8') + readFileSync(join(root, 'web/playground/style.css'), 'utf8'));
  const keep = new Set(Object.keys(r.metafile.outputs).map((f) => f.split('/').pop()));
  for (const f of readdirSync(out)) {
    if (f.endsWith('.js') && f !== 'sw.js' && !keep.has(f) && Date.now() - statSync(join(out, f)).mtimeMs > 10 * 60_000) rmSync(join(out, f));
  }
  return { html, scripts: [...keep], minify, common };
}

/** `<link rel=preload>` tags for the blobs of sample `name` (manifest, config, layers): fetched while the page's script loads. */
function preloads(dir, name) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const m = index.manifests.find((d) => d.annotations?.['io.containerd.image.name'] === `localhost/wasmvisor/${name}:latest`);
  if (!m) return '';
  const blob = (d) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8'));
  return [m.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]
    .map((d) => `<link rel="preload" href="./samples/blobs/${d.replace(':', '/')}" as="fetch" crossorigin>`).join('\n');
}

/**
 * The service worker (web/playground/sw.ts) as `sw.js`, with the build's files to cache written in
 * (the page, its styles and scripts, the sample layout) and a version from their contents: a new build
 * makes a new sw.js, which the browser installs (and so drops the old cache).
 */
async function serviceWorker(b) {
  const files = ['./', 'style.css', ...b.scripts, 'samples/index.json', 'samples/oci-layout',
    ...readdirSync(join(out, 'samples', 'blobs', 'sha256')).map((f) => `samples/blobs/sha256/${f}`)];
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(join(out, f === './' ? 'index.html' : f)));
  const r = await esbuild.build({
    ...b.common, entryPoints: [join(root, 'web/playground/sw.ts')], entryNames: undefined, write: false, metafile: false,
    format: 'iife', define: { PRECACHE: JSON.stringify(files), VERSION: JSON.stringify(h.digest('hex').slice(0, 16)) },
  });
  writeAtomic(join(out, 'sw.js'), r.outputFiles[0].contents);
}

/** What the samples are built from (programs and descriptions): unchanged, they are not built again. */
function samplesStamp() {
  const h = createHash('sha256').update(JSON.stringify(SAMPLES));
  for (const s of SAMPLES) h.update(readFileSync(join(root, 'wasm', `${s.program ?? s.name}.wasm`)));
  return h.digest('hex');
}

/** Pack the samples into an OCI layout at `dir` (a base image with every program, one small layer per sample on it), swapped in by rename. */
export async function buildSamples(dir) {
  const stamp = samplesStamp();
  if (existsSync(join(dir, '.stamp')) && readFileSync(join(dir, '.stamp'), 'utf8') === stamp) return;
  const dist = (p) => pathToFileURL(join(root, 'dist', 'src', p)).href;
  const { openStore } = await import(dist('image/content/store_root.js'));
  const { packImage } = await import(dist('image/layout/pack.js'));
  const { saveImages } = await import(dist('image/layout/save.js'));
  const tmp = mkdtempSync(join(tmpdir(), 'wv-playground-samples-'));
  const store = await openStore(join(tmp, 'store'));
  const epoch = 1_704_067_200;
  try {
    const base = 'localhost/wasmvisor/playground-base:latest';
    await packImage(store, {
      add: SAMPLES.filter((s) => !s.own).map((s) => ({ src: join(root, 'wasm', `${s.name}.wasm`), dest: `/bin/${s.name}` })),
      env: ['PATH=/bin'], workdir: '/', tags: [base], sourceDateEpoch: epoch,
      labels: { 'org.opencontainers.image.description': 'wasmvisor playground: the sample programs' },
    });
    const names = [];
    for (const s of SAMPLES) {
      const motd = join(tmp, `${s.name}.motd`);
      writeFileSync(motd, `This is the ${s.name} sample of the wasmvisor playground: it ${s.about}.\n`);
      const add = [{ src: motd, dest: '/etc/motd' }];
      if (s.own) add.push({ src: join(root, 'wasm', `${s.program}.wasm`), dest: `/bin/${s.name}` });
      for (const [dest, text] of Object.entries(s.files ?? {})) {
        const f = join(tmp, `${s.name}-${add.length}`);
        writeFileSync(f, text);
        add.push({ src: f, dest });
      }
      const name = `localhost/wasmvisor/${s.name}:latest`;
      await packImage(store, {
        from: base, add, entrypoint: s.entrypoint, cmd: s.cmd, tags: [name], sourceDateEpoch: epoch,
        labels: {
          'org.opencontainers.image.description': s.about, ...(s.terminal ? { 'wasmvisor.playground.terminal': 'true' } : {}),
          ...(s.ports ? { 'wasmvisor.playground.ports': s.ports.join(',') } : {}),
        },
      });
      names.push(name);
    }
    const fresh = join(tmp, 'layout');
    await saveImages(store, names, fresh, { format: 'oci-dir' });
    writeFileSync(join(fresh, '.stamp'), stamp);
    const old = `${dir}.old-${process.pid}`;
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(fresh, dir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t0 = performance.now();
  const b = await bundle(!process.argv.includes('--no-min'));
  await buildSamples(join(out, 'samples'));
  // the samples' index goes into the page itself: one request less before the first run
  const index = readFileSync(join(out, 'samples', 'index.json'), 'utf8').replaceAll('<', '\\u003c');
  writeAtomic(join(out, 'index.html'), b.html.replace('%SAMPLES_INDEX%', index).replace('%PRELOAD%', preloads(join(out, 'samples'), 'hello')));
  await serviceWorker(b);
  if (process.argv.includes('--verbose')) process.stdout.write(`playground built in ${Math.round(performance.now() - t0)} ms\n`);
}
