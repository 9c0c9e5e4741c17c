/**
 * The shared Transport suite (STYLE: one suite per interface): every
 * transport — registry (a real docker-registry), oci-layout, oci-archive,
 * docker-archive and the bundled samples — resolves a reference, fetches
 * the manifest, config and layers it names (each checked against its
 * digest), answers nothing for an absent name, and pulls the image into a
 * fresh store where run IMAGE finds its module.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import type { Descriptor, ImageManifest } from '../../src/image/content/manifest.js';
import { openStore, type Store } from '../../src/image/content/store_root.js';
import { DockerArchiveTransport, OciArchiveTransport, OciLayoutTransport } from '../../src/image/layout/layout_transport.js';
import { saveImages } from '../../src/image/layout/save.js';
import { parseReference, type Reference } from '../../src/image/reference/reference.js';
import { pushImage } from '../../src/image/registry/push.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { RegistryTransport } from '../../src/image/registry/registry_transport.js';
import { loadBundledSamples, SAMPLE_IMAGE, SamplesTransport } from '../../src/image/samples/index.js';
import { lookupMerged } from '../../src/image/snapshot/merged_lookup.js';
import { prepareImage } from '../../src/image/snapshot/snapshot_image.js';
import type { Transport } from '../../src/image/transport/transport.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { itWithTools } from '../support/tools.js';

const tmp: string[] = [];
const mk = (p: string): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), p));
  tmp.push(d);
  return d;
};

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** One backend of the suite: how to open it over the fixture image, and the reference it holds the image under. */
interface Backend {
  name: string;
  tools: string[];
  open(content: Store): Promise<{ transport: Transport; ref: Reference; absent: Reference }>;
}

let source: Store;
let sourceConfig: string;
let reg: RunningRegistry | undefined;
const regIt = itWithTools('docker-registry');

beforeAll(async () => {
  source = await openStore(mk('wv-transport-src-'));
  await loadBundledSamples(source);
  const rec = (await source.images.get(SAMPLE_IMAGE))!;
  const m = JSON.parse(Buffer.from(await bytesOf(source.content.stream(rec.target.digest))).toString()) as ImageManifest;
  sourceConfig = m.config.digest;
  if (regIt !== vit.skip) reg = await startRegistry();
});

afterAll(async () => {
  await reg?.cleanup();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const sample = parseReference(SAMPLE_IMAGE);
const absent = parseReference('localhost/wasmvisor/absent:1');

const backends: Backend[] = [
  {
    name: 'oci-layout', tools: [],
    async open(s) {
      const dir = path.join(mk('wv-t-dir-'), 'layout');
      await saveImages(source, [SAMPLE_IMAGE], dir, { format: 'oci-dir' });
      return { transport: new OciLayoutTransport(dir, s.content), ref: sample, absent };
    },
  },
  {
    name: 'oci-archive', tools: [],
    async open(s) {
      const file = path.join(mk('wv-t-oci-'), 'hello.tar');
      await saveImages(source, [SAMPLE_IMAGE], file, { format: 'oci-archive' });
      return { transport: new OciArchiveTransport(file, s.content), ref: sample, absent };
    },
  },
  {
    name: 'docker-archive', tools: [],
    async open(s) {
      const file = path.join(mk('wv-t-docker-'), 'hello.tar');
      await saveImages(source, [SAMPLE_IMAGE], file, { format: 'docker-archive' });
      return { transport: new DockerArchiveTransport(file, s.content), ref: sample, absent };
    },
  },
  {
    name: 'samples', tools: [],
    async open(s) {
      return { transport: new SamplesTransport(s.content), ref: sample, absent };
    },
  },
  {
    name: 'registry', tools: ['docker-registry'],
    async open() {
      const client = new RegistryClient({});
      const ref = parseReference(`${reg!.host}/suite/hello:1`);
      await pushImage(source, SAMPLE_IMAGE, ref, { client });
      return { transport: new RegistryTransport(client), ref, absent: parseReference(`${reg!.host}/suite/absent:1`) };
    },
  },
];

describe.each(backends)('Transport: $name', (b) => {
  const it = b.tools.length > 0 ? itWithTools(...b.tools) : vit;

  it('resolves the reference and fetches its manifest, config and layers, each matching its digest', async () => {
    const store = await openStore(mk('wv-t-store-'));
    const { transport, ref } = await b.open(store);
    try {
      const images = await transport.resolve(ref);
      expect(images).toHaveLength(1);
      let desc: Descriptor = images[0].target;
      let raw = await bytesOf(transport.fetch(desc));
      expect(sha(raw)).toBe(desc.digest);
      let doc = JSON.parse(raw.toString()) as ImageManifest & { manifests?: Descriptor[] };
      if (doc.manifests) {
        desc = doc.manifests[0];
        raw = await bytesOf(transport.fetch(desc));
        expect(sha(raw)).toBe(desc.digest);
        doc = JSON.parse(raw.toString()) as ImageManifest & { manifests?: Descriptor[] };
      }
      expect(doc.config.digest).toBe(sourceConfig);
      const config = await bytesOf(transport.fetch(doc.config));
      expect(sha(config)).toBe(sourceConfig);
      expect(JSON.parse(config.toString())).toMatchObject({ architecture: 'wasm' });
      expect(doc.layers.length).toBeGreaterThan(0);
      for (const l of doc.layers) {
        const data = await bytesOf(transport.fetch(l));
        expect(data.length).toBe(l.size);
        expect(sha(data)).toBe(l.digest);
      }
    } finally {
      await transport.close();
    }
  });

  it('a fetch whose descriptor lies about the digest fails', async () => {
    const store = await openStore(mk('wv-t-store-'));
    const { transport, ref } = await b.open(store);
    try {
      const [img] = await transport.resolve(ref);
      const raw = await bytesOf(transport.fetch(img.target));
      const liar = { ...img.target, size: raw.length + 1 };
      await expect(bytesOf(transport.fetch(liar))).rejects.toThrow();
    } finally {
      await transport.close();
    }
  });

  it('resolves an absent name to nothing', async () => {
    const store = await openStore(mk('wv-t-store-'));
    const { transport, absent: none } = await b.open(store);
    try {
      expect(await transport.resolve(none)).toEqual([]);
    } finally {
      await transport.close();
    }
  });

  it('pulls the image into a fresh store, where run IMAGE finds its module', async () => {
    const store = await openStore(mk('wv-t-store-'));
    const { transport, ref } = await b.open(store);
    try {
      const pulled = await transport.pull(store, ref);
      expect(pulled.map((p) => p.name)).toContain(ref.toString());
      const prepared = await prepareImage(store, ref.toString());
      expect(prepared.image.config.architecture).toBe('wasm');
      const hit = lookupMerged(prepared.lowers, '/hello.wasm');
      expect(hit?.node.kind).toBe('file');
    } finally {
      await transport.close();
    }
  });
});
