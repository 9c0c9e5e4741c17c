/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8)
 * on 127.0.0.1 with a free port, a temporary config and filesystem storage,
 * deletes enabled. Optionally a pull-through cache of another registry
 * (`proxyRemoteUrl`) or behind token auth (`token`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, promises as fsp, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Token auth settings for the registry (distribution's `auth.token`). */
export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file with the certificate whose key signs the tokens. */
  rootCertBundle: string;
}

/** How to start the registry. */
export interface RegistryOptions {
  /** Make it a pull-through cache of this registry URL. */
  proxyRemoteUrl?: string;
  token?: TokenAuthConfig;
  /** Use this port (to restart a registry on the same address). */
  port?: number;
  /** Reuse this storage directory. */
  dataDir?: string;
}

/** A running registry. */
export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Its temp dir (config and storage). */
  dir: string;
  dataDir: string;
  /** Kill it (storage stays until `cleanup`). */
  stop(): Promise<void>;
  /** Kill it and remove its temp dir. */
  cleanup(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/v2/`, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Start `docker-registry serve` and wait until it answers `/v2/`. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wv-registry-'));
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  const port = opts.port ?? (await freePort());
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.proxyRemoteUrl) lines.push('proxy:', `  remoteurl: ${opts.proxyRemoteUrl}`);
  if (opts.token) {
    const t = opts.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  }
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await probe(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    host: `127.0.0.1:${port}`,
    port,
    url,
    dir,
    dataDir,
    stop,
    cleanup: async () => {
      await stop();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
