/**
 * Issue 9, point 7: `load -i ARCHIVE` under limits. Each case is an attack
 * built here, small on disk and fast to make (a gzip file may hold many
 * members; one member of zeros is reused), run through the CLI as a
 * process. A watchdog kills the child if the store's ingest area or its RSS
 * grows past what a bounded load may use, so a regression cannot fill the
 * machine. After a refusal the store must be as before: no ingest, no
 * blob, no name.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTar, writeBlob, writeOciLayout } from '../support/oci_fixtures.js';
import { rssKiB, runCli, type CliRun } from './cli_process.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const tmp = (p: string): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A ustar header for a regular file `name` of `size` bytes (octal size: up to 8 GiB). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** One tar entry (header, data, padding) as bytes. */
function tarEntry(name: string, data: Uint8Array): Buffer {
  return Buffer.concat([tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** The regular files of directory `dir` as tar entries (relative names). */
function dirEntries(dir: string, rel = ''): Buffer[] {
  const out: Buffer[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...dirEntries(dir, r));
    else out.push(tarEntry(r, readFileSync(path.join(dir, r))));
  }
  return out;
}

const END = Buffer.alloc(1024);
const FAKE_BLOB = `blobs/sha256/${'ab'.repeat(32)}`;

/** What a load may hold: the ingest area's bytes now. */
function ingestBytes(root: string): number {
  const dir = path.join(root, 'content', 'ingest');
  let n = 0;
  const walk = (d: string): void => {
    for (const e of (existsSync(d) ? readdirSync(d, { withFileTypes: true }) : [])) {
      const p = path.join(d, e.name);
      try {
        if (e.isDirectory()) walk(p);
        else n += statSync(p).size;
      } catch {
        /* removed meanwhile */
      }
    }
  };
  walk(dir);
  return n;
}

/** Everything under the store's content/ and its names, for "as before" checks. */
function storeState(root: string): { files: string[]; images: string } {
  const files: string[] = [];
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else files.push(`${rel}${e.name}`);
    }
  };
  walk(path.join(root, 'content'), 'content/');
  const imagesFile = path.join(root, 'images.json');
  return { files: files.sort(), images: existsSync(imagesFile) ? readFileSync(imagesFile, 'utf8') : '' };
}

interface Watched extends CliRun {
  peakIngest: number;
  peakRss: number;
}

/** `load -i archive` into `root`, killed if its ingest passes `maxIngest` bytes or its RSS `maxRssMiB`. */
async function watchedLoad(root: string, archive: string, maxIngest: number, maxRssMiB: number): Promise<Watched> {
  let peakIngest = 0;
  let peakRss = 0;
  const r = await runCli(['--root', root, 'load', '-i', archive], {
    timeoutMs: 120_000,
    watch: (pid) => {
      peakIngest = Math.max(peakIngest, ingestBytes(root));
      peakRss = Math.max(peakRss, rssKiB(pid) / 1024);
      if (peakIngest > maxIngest) return `ingest grew to ${peakIngest} bytes`;
      if (peakRss > maxRssMiB) return `RSS grew to ${peakRss.toFixed(0)} MiB`;
      return undefined;
    },
  });
  return { ...r, peakIngest, peakRss: Math.max(peakRss, r.peakRssKiB / 1024) };
}

/** A refusal as a user sees it: exit 125, one line naming the archive and the limit, nothing else on stderr. */
function expectRefused(r: Watched, archive: string, why: RegExp): void {
  if (process.env.WV_TEST_VERBOSE) console.log(`peak ingest ${r.peakIngest} B, peak RSS ${r.peakRss.toFixed(0)} MiB: ${r.err.trim()}`);
  expect(r.killed, `watchdog: ${r.killed}`).toBeUndefined();
  expect(r.code, r.err).toBe(125);
  expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
  expect(r.err).toMatch(`wasmvisor: archive ${archive} `);
  expect(r.err).toMatch(why);
  expect(r.out).toBe('');
}

describe('load -i ARCHIVE under limits (archive bombs)', () => {
  let root: string;
  let before: { files: string[]; images: string };
  let zeros16: Buffer;

  beforeEach(async () => {
    root = tmp('wv-bomb-store-');
    // a store that already holds an image: it must be left exactly as it was
    const l = path.join(tmp('wv-bomb-base-'), 'base');
    writeOciLayout(l, { tag: 'b', layers: [{ tar: await makeTar([{ name: 'a', data: 'a' }]) }] });
    expect((await runCli(['--root', root, 'load', '-i', l])).code).toBe(0);
    before = storeState(root);
    zeros16 ??= gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  });

  it('a blob entry whose header claims 3 GiB is refused before a byte is ingested', async () => {
    const archive = path.join(tmp('wv-bomb-'), 'huge.tar.gz');
    const parts: Buffer[] = [gzipSync(tarHeader(FAKE_BLOB, 3 * 1024 * MiB))];
    for (let i = 0; i < 192; i++) parts.push(zeros16); // 3 GiB of zeros in 3 MiB
    parts.push(gzipSync(END));
    writeFileSync(archive, Buffer.concat(parts));
    expect(statSync(archive).size).toBeLessThan(4 * MiB);
    const t0 = Date.now();
    const r = await watchedLoad(root, archive, 64 * MiB, 400);
    expectRefused(r, archive, /blobs\/sha256\/(ab)+ of 3221225472 bytes, over the 1073741824-byte limit/);
    expect(r.peakIngest).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(storeState(root)).toEqual(before);
  }, 130_000);

  it('a blob of zeros under the size cap is refused by the expansion ratio, a little past the 32 MiB grace', async () => {
    const archive = path.join(tmp('wv-bomb-'), 'ratio.tar.gz');
    const parts: Buffer[] = [gzipSync(tarHeader(FAKE_BLOB, 1008 * MiB))];
    for (let i = 0; i < 63; i++) parts.push(zeros16);
    parts.push(gzipSync(END));
    writeFileSync(archive, Buffer.concat(parts));
    const r = await watchedLoad(root, archive, 64 * MiB, 400);
    expectRefused(r, archive, /expands more than 250:1/);
    expect(r.peakIngest).toBeLessThan(48 * MiB);
    expect(storeState(root)).toEqual(before);
  }, 130_000);

  it('1,500 one-MiB junk files in a 1.6 MB .tar.gz: refused, bounded RSS, nothing kept', async () => {
    const archive = path.join(tmp('wv-bomb-'), 'junk.tar.gz');
    const zeros1 = gzipSync(Buffer.alloc(MiB), { level: 9 });
    const parts: Buffer[] = [];
    for (let i = 0; i < 1500; i++) parts.push(gzipSync(tarHeader(`junk/${i}`, MiB)), zeros1);
    parts.push(gzipSync(END));
    writeFileSync(archive, Buffer.concat(parts));
    expect(statSync(archive).size).toBeLessThan(2 * MiB);
    const r = await watchedLoad(root, archive, 64 * MiB, 400);
    expectRefused(r, archive, /expands more than 250:1|more than 1073741824 bytes/);
    expect(r.peakRss).toBeLessThan(250);
    expect(storeState(root)).toEqual(before);
  }, 130_000);

  it('600 MiB of junk files beside a real image: skipped unread (RSS stays small), the image loads', async () => {
    const dir = path.join(tmp('wv-bomb-img-'), 'img');
    writeOciLayout(dir, { tag: 'v1', layers: [{ tar: await makeTar([{ name: 'app.wasm', data: '\0asm\x01\0\0\0' }]) }] });
    // junk that compresses about 64:1 (under the ratio cap): 16 KiB of noise repeated
    const junk = gzipSync(Buffer.concat(Array.from({ length: 64 }, () => randomBytes(16 * 1024)).fill(randomBytes(16 * 1024))));
    const archive = path.join(tmp('wv-bomb-'), 'img-junk.tar.gz');
    const parts: Buffer[] = [gzipSync(Buffer.concat(dirEntries(dir)))];
    for (let i = 0; i < 600; i++) parts.push(gzipSync(tarHeader(`extra/junk-${i}`, MiB)), junk);
    parts.push(gzipSync(END));
    writeFileSync(archive, Buffer.concat(parts));
    const r = await watchedLoad(root, archive, 64 * MiB, 400);
    expect(r.killed, `watchdog: ${r.killed}`).toBeUndefined();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('Loaded image: localhost/img-junk:v1\n');
    expect(r.err).toBe('');
    expect(r.peakRss).toBeLessThan(250);
    expect(r.peakIngest).toBeLessThan(MiB); // junk never reaches the ingest area (the image's blobs pass through it)
    const blobs = readdirSync(path.join(root, 'content', 'blobs', 'sha256'));
    expect(blobs.length).toBe(before.files.filter((f) => f.startsWith('content/blobs/')).length + 3);
  }, 130_000);

  it('a config of 9 MiB (over the 8 MiB cap run and pull use) is refused at load: no name, no blob', async () => {
    const dir = path.join(tmp('wv-bomb-cfg-'), 'bigcfg');
    const w = writeOciLayout(dir, { tag: 'c', layers: [{ tar: await makeTar([{ name: 'a', data: 'a' }]) }] });
    // replace the config by a valid, 9 MiB one (a long label) and rewrite the manifest and index
    const cfg = JSON.parse(readFileSync(path.join(dir, 'blobs', 'sha256', w.config.digest.slice(7)), 'utf8')) as Record<string, unknown>;
    cfg.config = { Labels: { pad: 'x'.repeat(9 * MiB) } };
    const config = writeBlob(dir, w.config.mediaType, JSON.stringify(cfg));
    const manifest = writeBlob(dir, w.manifest.mediaType, JSON.stringify({ schemaVersion: 2, mediaType: w.manifest.mediaType, config, layers: w.layers }));
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'c' } }] }));
    const archive = path.join(tmp('wv-bomb-'), 'bigcfg.tar');
    execFileSync('tar', ['-C', dir, '-cf', archive, 'blobs', 'oci-layout', 'index.json']);
    for (const input of [dir, archive]) {
      const r = await runCli(['--root', root, 'load', '-i', input]);
      expect(r.code, r.err).toBe(125);
      expect(r.err).toMatch(`config ${config.digest} of manifest ${manifest.digest} is ${config.size} bytes, over the 8388608-byte limit`);
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(storeState(root)).toEqual(before);
    }
  }, 60_000);

  it('a large archive loads without MaxListenersExceededWarning (no listener added per backpressure wait)', async () => {
    const dir = path.join(tmp('wv-bomb-big-'), 'big');
    writeOciLayout(dir, { tag: 'v', layers: [{ tar: await makeTar([{ name: 'noise', data: randomBytes(24 * MiB).toString('base64') }]), compression: 'none' }] });
    const archive = path.join(tmp('wv-bomb-'), 'big.tar');
    execFileSync('tar', ['-C', dir, '-cf', archive, 'blobs', 'oci-layout', 'index.json']);
    const r = await runCli(['--root', root, 'load', '-i', archive]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/MaxListenersExceededWarning|Warning/);
    expect(r.err).toBe('');
    expect(r.out).toBe('Loaded image: localhost/big:v\n');
  }, 60_000);
});
