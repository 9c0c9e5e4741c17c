/**
 * Test helpers that build layer tarballs and OCI image layouts in memory or
 * on disk, with full control over tar headers (hostile names, PAX records,
 * hard links, whiteouts), and a small registry served by node:http. Shared
 * by the image tests.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import tarStream from 'tar-stream';
import { MediaType } from '../../src/image/content/media_types.js';

/** One tar entry to write. */
export interface TarEntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: string | Uint8Array;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  pax?: Record<string, string>;
}

/** Build an uncompressed tar from `entries`, in order. */
export async function makeTar(entries: TarEntrySpec[]): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((res, rej) => { pack.on('end', () => res()); pack.on('error', rej); });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data ? Buffer.from(e.data) : undefined;
    const header = {
      name: e.name,
      type,
      // a type bit keeps mode 0 from being replaced by tar-stream's default (only 0o7777 is written)
      mode: (e.mode ?? (type === 'directory' ? 0o755 : 0o644)) | (type === 'directory' ? 0o040000 : 0o100000),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_700_000_000_000),
      linkname: e.linkname,
      pax: e.pax,
      size: type === 'file' ? (data?.length ?? 0) : 0,
    };
    await new Promise<void>((res, rej) => {
      if (type === 'file') pack.entry(header, data ?? Buffer.alloc(0), (err) => (err ? rej(err) : res()));
      else { pack.entry(header, (err) => (err ? rej(err) : res())); }
    });
  }
  pack.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** gzip `data`. */
export function gzip(data: Uint8Array, level = 6): Uint8Array {
  return new Uint8Array(gzipSync(data, { level }));
}

/** zstd-compress `data` with the `zstd` command (tests needing it use itWithTools('zstd')). */
export function zstd(data: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', '-'], { input: data }));
}

/** `sha256:<hex>` of `data`. */
export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Yield `data` in chunks of `size` bytes, as a network stream would. */
export async function* chunks(data: Uint8Array, size = 4096): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, Math.min(i + size, data.length));
}

/** A descriptor as OCI writes it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string };
}

/** One layer of a fixture image: its tar and how to compress it. */
export interface FixtureLayer {
  tar: Uint8Array;
  compression?: 'none' | 'gzip' | 'zstd';
}

/** Options of {@link writeOciLayout}. */
export interface FixtureImage {
  layers: FixtureLayer[];
  /** Extra image config fields (`config` = the container config). */
  config?: Record<string, unknown>;
  /** Tag written as `org.opencontainers.image.ref.name`. */
  tag?: string;
  os?: string;
  architecture?: string;
}

/** What {@link writeOciLayout} wrote. */
export interface WrittenImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
}

/** Write `blob` under `dir/blobs/sha256/` and return its descriptor. */
export function writeBlob(dir: string, mediaType: string, blob: Uint8Array | string): Descriptor {
  const bytes = typeof blob === 'string' ? Buffer.from(blob) : blob;
  const digest = sha256(bytes);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

/** Write an OCI image layout directory holding one image (tags accumulate if index.json exists is not handled: one image per call). */
export function writeOciLayout(dir: string, img: FixtureImage): WrittenImage {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const l of img.layers) {
    diffIds.push(sha256(l.tar));
    const c = l.compression ?? 'gzip';
    const body = c === 'gzip' ? gzip(l.tar) : c === 'zstd' ? zstd(l.tar) : l.tar;
    const mt = 'application/vnd.oci.image.layer.v1.tar' + (c === 'none' ? '' : `+${c}`);
    layers.push(writeBlob(dir, mt, body));
  }
  const os = img.os ?? 'wasip1';
  const architecture = img.architecture ?? 'wasm';
  const configJson = JSON.stringify({
    architecture,
    os,
    config: {},
    ...img.config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created_by: 'oci_fixtures' })),
  });
  const config = writeBlob(dir, 'application/vnd.oci.image.config.v1+json', configJson);
  const manifestJson = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config,
    layers,
  });
  const manifest = writeBlob(dir, 'application/vnd.oci.image.manifest.v1+json', manifestJson);
  const entry: Descriptor = { ...manifest, platform: { os, architecture } };
  if (img.tag) entry.annotations = { 'org.opencontainers.image.ref.name': img.tag };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [entry],
  }));
  return { manifest, config, layers, diffIds };
}

/** The blobs of a hand-made image, as a registry serves them. */
export interface ImageBlobs {
  /** The manifest's bytes. */
  manifest: Buffer;
  /** The manifest's digest. */
  digest: string;
  /** The config's bytes. */
  config: Buffer;
  /** The config and the layers, by digest. */
  blobs: Map<string, Buffer>;
}

/** An OCI manifest over `layers` (plain tar media type) and a minimal wasip1/wasm config. */
export function imageBlobs(layers: Buffer[]): ImageBlobs {
  const config = Buffer.from('{"architecture":"wasm","os":"wasip1"}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: sha256(config), size: config.length },
    layers: layers.map((b) => ({ mediaType: MediaType.OCI_LAYER, digest: sha256(b), size: b.length })),
  }));
  return { manifest, digest: sha256(manifest), config, blobs: new Map([...layers, config].map((b) => [sha256(b), b])) };
}

/** Runs before {@link tinyRegistry} answers: return true to let it answer, or answer `res` and return false. */
export type RegistryGate = (req: IncomingMessage, res: ServerResponse) => boolean;

/** What {@link tinyRegistry} returns. */
export interface TinyRegistry {
  /** The request handler, for node:http's or node:https's `createServer`. */
  handler: RequestListener;
  /** `METHOD URL` of every request, in order. */
  log: string[];
  /** Digest of the manifest of `app:1`. */
  digest: string;
  /** The bytes of the one layer. */
  layer: Buffer;
  /** Put `gate` in front of every request. */
  setGate(gate: RegistryGate): void;
}

/** A registry serving one image, `app:1`, with one layer holding `layer`. */
export function tinyRegistry(layer = 'layer bytes'): TinyRegistry {
  const img = imageBlobs([Buffer.from(layer)]);
  const log: string[] = [];
  let gate: RegistryGate = () => true;
  const handler: RequestListener = (req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (!gate(req, res)) return;
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url === '/v2/app/manifests/1') return void res.writeHead(200, { 'Content-Type': MediaType.OCI_MANIFEST }).end(img.manifest);
    const b = img.blobs.get((req.url ?? '').replace('/v2/app/blobs/', ''));
    if (b) return void res.writeHead(200).end(b);
    res.writeHead(404).end();
  };
  return { handler, log, digest: img.digest, layer: Buffer.from(layer), setGate: (g) => (gate = g) };
}

/** Listen on a free port of 127.0.0.1 (an http, https or net server); resolves to `127.0.0.1:PORT`. */
export async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
