#!/usr/bin/env node
// bench/pull: pull (and unpack) one multi-layer image from a local docker-registry
// with wasmvisor, and with `skopeo copy docker://… oci:DIR` + `umoci raw unpack`.
//   node bench/pull.mjs [--runs N] [--layers N] [--layer-mib N] [--no-unpack]
// Needs `npm run build` (imports dist/), docker-registry, skopeo and umoci.
// Every run starts from an empty store / empty OCI dir. Prints medians and ratios
// (peer time / wasmvisor time: above 1 means wasmvisor is faster).
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { formatNs, formatRatio, formatRate, formatTable } from './lib/format.mjs';
import { median } from './lib/stats.mjs';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 3);
const LAYERS = arg('layers', 4);
const LAYER_MIB = arg('layer-mib', 28);
const UNPACK = !process.argv.includes('--no-unpack');

const dist = (rel) => {
  const p = join(root, 'dist', rel);
  if (!existsSync(p)) {
    console.error(`missing ${p}: run \`npm run build\` first`);
    process.exit(2);
  }
  return pathToFileURL(p).href;
};
const { openStore } = await import(dist('src/image/content/store_root.js'));
const { pullImage } = await import(dist('src/image/registry/pull.js'));
const { RegistryClient } = await import(dist('src/image/registry/registry.js'));
let unpackWith = null;
if (UNPACK && existsSync(join(root, 'dist/src/image/snapshot/snapshot.js')) && existsSync(join(root, 'dist/src/image/content/image_config.js'))) {
  const { SnapshotStore } = await import(dist('src/image/snapshot/snapshot.js'));
  const { layerSources } = await import(dist('src/image/content/image_config.js'));
  const { resolveImage } = await import(dist('src/image/content/manifest_store.js'));
  unpackWith = async (store, name) => {
    const img = await resolveImage(store, name);
    const snaps = new SnapshotStore(store.root, store.content);
    await snaps.prepare(layerSources(img.manifest, img.config));
  };
}

for (const tool of ['docker-registry', 'skopeo', 'umoci']) {
  try {
    await run('sh', ['-c', `command -v ${tool}`]);
  } catch {
    console.error(`bench/pull needs ${tool} on PATH`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- registry
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const work = mkdtempSync(join(os.tmpdir(), 'wv-bench-pull-'));
const port = await freePort();
writeFileSync(
  join(work, 'config.yml'),
  `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${work}/registry\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
);
const registry = spawn('docker-registry', ['serve', join(work, 'config.yml')], { stdio: 'ignore' });
const cleanup = () => {
  registry.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (let up = false; !up; ) {
  up = await new Promise((r) => http.get(`http://127.0.0.1:${port}/v2/`, (res) => (res.resume(), r(true))).on('error', () => r(false)));
  if (!up) await new Promise((r) => setTimeout(r, 25));
}

// ---------------------------------------------------------------- image
/** A tar of files of random bytes (incompressible), 512-byte aligned. */
function tarOf(files) {
  const parts = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
const layout = join(work, 'src');
mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
const putBlob = (buf, mediaType) => {
  const hex = createHash('sha256').update(buf).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), buf);
  return { mediaType, digest: `sha256:${hex}`, size: buf.length };
};
const layers = [];
const diffIds = [];
let totalGz = 0;
for (let i = 0; i < LAYERS; i++) {
  const files = [];
  for (let f = 0; f < 8; f++) files.push([`layer${i}/file${f}.bin`, randomBytes((LAYER_MIB << 20) / 8)]);
  const t = tarOf(files);
  diffIds.push(`sha256:${createHash('sha256').update(t).digest('hex')}`);
  const gz = gzipSync(t, { level: 1 });
  totalGz += gz.length;
  layers.push(putBlob(gz, 'application/vnd.oci.image.layer.v1.tar+gzip'));
}
const config = putBlob(
  Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip1', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } })),
  'application/vnd.oci.image.config.v1+json',
);
const manifest = putBlob(
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers })),
  'application/vnd.oci.image.manifest.v1+json',
);
writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
const ref = `127.0.0.1:${port}/bench/big:1`;
await run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`], { maxBuffer: 1 << 24 });
console.log(`image: ${LAYERS} gzip layers, ${(totalGz / 2 ** 20).toFixed(1)} MiB compressed; ${RUNS} runs each, interleaved; unpack: ${unpackWith ? 'yes' : 'no (not built)'}`);

// ---------------------------------------------------------------- runs
const t = () => process.hrtime.bigint();
const ns = (a, b) => Number(b - a);
const results = { wvPull: [], wvUnpack: [], skPull: [], skUnpack: [] };
for (let r = 0; r < RUNS; r++) {
  const order = r % 2 === 0 ? ['wv', 'peer'] : ['peer', 'wv'];
  for (const who of order) {
    const dir = mkdtempSync(join(work, `${who}-`));
    if (who === 'wv') {
      const store = await openStore(dir);
      const t0 = t();
      await pullImage(store, ref, { client: new RegistryClient({}) });
      const t1 = t();
      if (unpackWith) await unpackWith(store, ref);
      const t2 = t();
      results.wvPull.push(ns(t0, t1));
      if (unpackWith) results.wvUnpack.push(ns(t1, t2));
    } else {
      const t0 = t();
      await run('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}/oci:bench`], { maxBuffer: 1 << 24 });
      const t1 = t();
      if (unpackWith) await run('umoci', ['raw', 'unpack', '--image', `${dir}/oci:bench`, `${dir}/rootfs`]);
      const t2 = t();
      results.skPull.push(ns(t0, t1));
      if (unpackWith) results.skUnpack.push(ns(t1, t2));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
const row = (what, wv, peer) => {
  const a = median(wv);
  const b = median(peer);
  rows.push([what, formatNs(a), formatRate(totalGz / (a / 1e9)), formatNs(b), formatRate(totalGz / (b / 1e9)), formatRatio(b / a)]);
};
row('pull (download + verify + store)', results.wvPull, results.skPull);
if (unpackWith) {
  row('unpack', results.wvUnpack, results.skUnpack);
  row('pull + unpack', results.wvPull.map((x, i) => x + results.wvUnpack[i]), results.skPull.map((x, i) => x + results.skUnpack[i]));
}
console.log(
  formatTable(
    [
      { title: 'phase' },
      { title: 'wasmvisor', align: 'right' },
      { title: 'rate', align: 'right' },
      { title: 'skopeo+umoci', align: 'right' },
      { title: 'rate', align: 'right' },
      { title: 'peer/wasmvisor', align: 'right' },
    ],
    rows,
    { markdown: process.argv.includes('--markdown') },
  ),
);
cleanup();
process.exit(0);
