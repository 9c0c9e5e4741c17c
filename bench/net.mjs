#!/usr/bin/env node
/**
 * bench/net: requests/s and p99 latency of wasm/http_server under
 * `wasmvisor run -p` (keep-alive), on the inline platform and on the sentry
 * platform (`--platform sentry`: the kernel in its own worker, the listener
 * handed to it), against node:http serving the same bytes, on 127.0.0.1
 * only, with autocannon, in one run; prints the load average too.
 *
 *   npm run build && node bench/net.mjs [--seconds 5] [--connections 50]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const TOP = join(import.meta.dirname, '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = Math.min(arg('--seconds', 5), 30);
const connections = arg('--connections', 50);
const BODY = Buffer.from('hello from wasm\n');

function cannon(port) {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining: 1 });
}

async function nodeHttp() {
  const s = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': BODY.length });
    res.end(BODY);
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  try {
    return await cannon(s.address().port);
  } finally {
    s.close();
  }
}

async function wasmvisor(store, www, platform) {
  const env = { ...process.env, WASMVISOR_ROOT: store };
  const name = `bench-${platform}`;
  const child = spawn(process.execPath, [join(TOP, 'bin/wasmvisor.js'), 'run', '--rm', '--platform', platform, '--name', name, '-p', '127.0.0.1::80', '-v', `${www}:/www:ro`, join(TOP, 'wasm/http_server.wasm')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => { err += d; if (err.includes('serving')) resolve(); });
    child.on('exit', (c) => reject(new Error(`server exited ${c}: ${err}`)));
  });
  const port = Number(spawnSync(process.execPath, [join(TOP, 'bin/wasmvisor.js'), 'port', name, '80'], { env, encoding: 'utf8' }).stdout.trim().split(':')[1]);
  try {
    return await cannon(port);
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
}

const store = mkdtempSync(join(tmpdir(), 'wv-bench-net-'));
const www = join(store, 'www');
spawnSync('mkdir', [www]);
writeFileSync(join(www, 'index.html'), BODY);
try {
  const base = await nodeHttp();
  const wv = await wasmvisor(store, www, 'inline');
  const sentry = await wasmvisor(store, www, 'sentry');
  const row = (name, r) => `${name.padEnd(28)} ${String(Math.round(r.requests.average)).padStart(8)} req/s  p99 ${String(r.latency.p99).padStart(5)} ms  errors ${r.errors + r.non2xx}`;
  console.log(`${connections} connections, keep-alive, ${seconds} s each, 127.0.0.1`);
  console.log(row('node:http', base));
  console.log(row('wasmvisor inline (-p)', wv));
  console.log(row('wasmvisor sentry (-p)', sentry));
  console.log(`ratio inline/node:http: ${(wv.requests.average / base.requests.average).toFixed(2)} (goal >= 0.50)`);
  console.log(`ratio sentry/node:http: ${(sentry.requests.average / base.requests.average).toFixed(2)}`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(store, { recursive: true, force: true });
}
