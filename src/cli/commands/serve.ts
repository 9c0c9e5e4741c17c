/**
 * `wasmvisor serve`: serves the browser playground (dist/playground/, built
 * by `npm run build`) cross-origin isolated (COOP/COEP, which
 * SharedArrayBuffer needs), and proxies the page's registry pulls through
 * the CLI's own registry client (credentials, mirrors, TLS settings):
 * `GET /api/pull?ref=REF` pulls REF into the store and answers an OCI
 * index.json naming it; `GET /api/blobs/sha256/HEX` serves the blobs of
 * images pulled that way (and no others). It binds 127.0.0.1 unless told
 * otherwise: any other address prints a warning, since whoever reaches it
 * pulls with the user's credentials.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliExit, ExitCode } from '../exit.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';
import { parseReference } from '../../image/reference/reference.js';
import { RegistryTransport } from '../../image/registry/registry_transport.js';
import { resolveImage } from '../../image/content/manifest_store.js';
import type { Store } from '../../image/content/store_root.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** The headers that make the page cross-origin isolated. */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** Where the built playground is (dist/playground beside dist/src). */
export function playgroundDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'playground');
}

/** True for addresses that only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface ServeFlags extends RegistryFlags {
  port: string;
  host: string;
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...ISOLATION, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

/** A static file of the playground; content-addressed blobs are cached for good, the rest revalidated (ETag). */
function serveFile(req: IncomingMessage, res: ServerResponse, root: string, rel: string): void {
  const file = path.join(root, rel === '/' ? 'index.html' : decodeURIComponent(rel));
  if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    send(res, 404, 'not found\n');
    return;
  }
  const st = statSync(file);
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  // content-addressed: blobs, and scripts named by their hash (web/build.mjs)
  const immutable = rel.includes('/blobs/sha256/') || /-[A-Z0-9]{8}\.js$/.test(rel);
  const headers = {
    ...ISOLATION, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', ETag: etag,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(st.size) });
  createReadStream(file).pipe(res);
}

/** The registry proxy: pulls through the CLI's client into the store; serves only blobs of images it pulled. */
class PullProxy {
  private readonly allowed = new Set<string>();
  constructor(private readonly store: Store, private readonly flags: RegistryFlags) {}

  async pull(res: ServerResponse, refText: string): Promise<void> {
    let ref;
    try {
      ref = parseReference(refText.replace(/^docker:\/\//, ''));
    } catch (e) {
      send(res, 400, `${(e as Error).message}\n`);
      return;
    }
    try {
      const transport = new RegistryTransport(clientFromFlags(this.flags));
      try {
        const [pulled] = await transport.pull(this.store, ref, {});
        const img = await resolveImage(this.store, pulled!.name);
        for (const d of [img.manifestDesc, img.manifest.config, ...img.manifest.layers]) this.allowed.add(d.digest);
        const about = img.config.config?.Labels?.['org.opencontainers.image.description'];
        const index = {
          schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [{
            mediaType: img.manifestDesc.mediaType, digest: img.manifestDesc.digest, size: img.manifestDesc.size,
            annotations: { 'io.containerd.image.name': img.record.name, ...(about ? { 'org.opencontainers.image.description': about } : {}) },
          }],
        };
        send(res, 200, JSON.stringify(index), 'application/vnd.oci.image.index.v1+json');
      } finally {
        await transport.close();
      }
    } catch (e) {
      send(res, 502, `${(e as Error).message}\n`);
    }
  }

  async blob(res: ServerResponse, hex: string): Promise<void> {
    const digest = `sha256:${hex}`;
    if (!/^[a-f0-9]{64}$/.test(hex) || !this.allowed.has(digest)) {
      send(res, 404, 'no such blob among the images this server pulled\n');
      return;
    }
    const info = await this.store.content.info(digest);
    res.writeHead(200, {
      ...ISOLATION, 'Content-Type': 'application/octet-stream', 'Content-Length': String(info.size),
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
    for await (const chunk of this.store.content.stream(digest)) res.write(chunk);
    res.end();
  }
}

/** Register `serve`. */
export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the browser playground (and pull images for it through this CLI\'s registry client)')
    .option('-p, --port <port>', 'TCP port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to bind; anything but loopback lets others pull with your registry credentials', '127.0.0.1');
  addRegistryFlags(cmd).action(async (opts: ServeFlags, c: Command) => {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliExit(ExitCode.RUNTIME, `--port ${opts.port} is not a TCP port (0-65535)`);
    const root = playgroundDir();
    if (!existsSync(path.join(root, 'index.html'))) {
      throw new CliExit(ExitCode.RUNTIME, `the playground is not built (${root} has no index.html): run npm run build`);
    }
    if (!isLoopback(opts.host)) {
      process.stderr.write(`wasmvisor: warning: serving on ${opts.host}, not loopback: anyone who reaches it can pull images with your registry credentials\n`);
    }
    const proxy = new PullProxy(await storeFromCommand(c), opts);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'only GET\n');
        return;
      }
      const fail = (e: unknown) => { if (!res.headersSent) send(res, 500, `${(e as Error).message}\n`); else res.destroy(); };
      if (url.pathname === '/api/pull') void proxy.pull(res, url.searchParams.get('ref') ?? '').catch(fail);
      else if (url.pathname.startsWith('/api/blobs/sha256/')) void proxy.blob(res, url.pathname.slice('/api/blobs/sha256/'.length)).catch(fail);
      else serveFile(req, res, root, url.pathname);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') reject(new CliExit(ExitCode.RUNTIME, `port ${port} on ${opts.host} is in use: choose another with --port`));
        else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new CliExit(ExitCode.RUNTIME, `cannot bind ${opts.host}: not an address of this machine`));
        else reject(new CliExit(ExitCode.RUNTIME, `cannot listen on ${opts.host}:${port}: ${e.message}`));
      });
      server.listen(port, opts.host, () => resolve());
    });
    const addr = server.address() as { port: number };
    const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    process.stdout.write(`wasmvisor playground: http://${shown}:${addr.port}/\n`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
