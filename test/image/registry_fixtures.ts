/**
 * Test images: OCI image layouts written by hand (blobs, index.json,
 * oci-layout), pushed to a registry with skopeo.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import type { Descriptor, Platform } from '../../src/image/content/manifest.js';

const run = promisify(execFile);

/** Run skopeo with `args`; rejects with its stderr. */
export async function skopeo(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    throw new Error(`skopeo ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** An OCI layout directory being built. */
export class OciLayout {
  readonly dir: string;
  private readonly refs: Descriptor[] = [];

  constructor(dir = mkdtempSync(path.join(os.tmpdir(), 'wv-oci-'))) {
    this.dir = dir;
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    this.flush();
  }

  /** Store `data` as a blob; returns its descriptor. */
  blob(data: Uint8Array | string, mediaType: string): Descriptor {
    const buf = Buffer.from(data);
    const hex = createHash('sha256').update(buf).digest('hex');
    writeFileSync(path.join(this.dir, 'blobs', 'sha256', hex), buf);
    return { mediaType, digest: `sha256:${hex}`, size: buf.length };
  }

  /** Build an image manifest from layers (already encoded) and a config object. */
  image(opts: {
    layers: { data: Uint8Array; mediaType: string; diffId?: string }[];
    config?: Record<string, unknown>;
    configType?: string;
    manifestType?: string;
    platform?: Platform;
    artifactType?: string;
  }): Descriptor {
    const layers = opts.layers.map((l) => this.blob(l.data, l.mediaType));
    const config = opts.config ?? {
      architecture: opts.platform?.architecture ?? 'wasm',
      os: opts.platform?.os ?? 'wasip1',
      config: { Entrypoint: ['/app.wasm'] },
      rootfs: { type: 'layers', diff_ids: opts.layers.map((l) => l.diffId ?? `sha256:${createHash('sha256').update(l.data).digest('hex')}`) },
    };
    const cfg = this.blob(JSON.stringify(config), opts.configType ?? 'application/vnd.oci.image.config.v1+json');
    const manifestType = opts.manifestType ?? 'application/vnd.oci.image.manifest.v1+json';
    const manifest: Record<string, unknown> = { schemaVersion: 2, mediaType: manifestType, config: cfg, layers };
    if (opts.artifactType) manifest.artifactType = opts.artifactType;
    const d = this.blob(JSON.stringify(manifest), manifestType);
    return opts.platform ? { ...d, platform: opts.platform } : d;
  }

  /** Build an index over `manifests` (descriptors carrying their platform). */
  index(manifests: Descriptor[]): Descriptor {
    return this.blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }), 'application/vnd.oci.image.index.v1+json');
  }

  /** Name `desc` with `tag` in index.json. */
  tag(tag: string, desc: Descriptor): void {
    const { platform: _p, ...plain } = desc;
    this.refs.push({ ...plain, annotations: { 'org.opencontainers.image.ref.name': tag } });
    this.flush();
  }

  private flush(): void {
    writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.refs }));
  }

  /** Read a blob back. */
  read(digest: string): Buffer {
    return readFileSync(path.join(this.dir, 'blobs', 'sha256', digest.slice(7)));
  }
}

/** A tar archive of `files` (path → contents; a trailing `/` makes a directory). */
export async function makeTar(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) pack.entry({ name, type: 'directory', mode: 0o755, mtime: new Date(0) });
    else pack.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(data));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A gzip tar layer of `files`, with its diff ID. */
export async function gzipLayer(files: Record<string, string | Uint8Array>): Promise<{ data: Buffer; mediaType: string; diffId: string }> {
  const t = await makeTar(files);
  return {
    data: gzipSync(t),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    diffId: `sha256:${createHash('sha256').update(t).digest('hex')}`,
  };
}

/** A tiny valid WebAssembly module (magic + version, plus random custom-section padding to vary the digest). */
export function wasmModule(tagBytes = 8): Buffer {
  const pad = randomBytes(tagBytes);
  const name = Buffer.from('x');
  const payload = Buffer.concat([Buffer.from([name.length]), name, pad]);
  return Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, payload.length]), payload]);
}

/** Push `tag` of `layout` to `docker://HOST/REPO:TAG` (extra skopeo args, e.g. --all, --format v2s2). */
export async function pushLayout(layout: OciLayout, tag: string, dest: string, ...extra: string[]): Promise<void> {
  await skopeo('copy', '--dest-tls-verify=false', ...extra, `oci:${layout.dir}:${tag}`, `docker://${dest}`);
}

/** Run the `wasmvisor` CLI in-process, capturing stdout and stderr. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../../src/cli/wasmvisor.js');
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += Buffer.from(s).toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += Buffer.from(s).toString()), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}
