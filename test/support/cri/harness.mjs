/**
 * A Kubernetes node without the kubelet, for tests and benches: a real
 * containerd 1.6 with its CRI plugin on, started with a config of its own
 * (everything under one work directory), Debian's docker-registry for
 * images, skopeo to push them, and a CRI v1 client (@grpc/grpc-js with the
 * messages of runtime_v1.proto). Plain JavaScript so that bench/density.mjs
 * shares it with test/e2e/cri.test.ts (types in harness.d.mts).
 *
 * What containerd 1.6's CRI plugin needs here (see NOTES.md): the default
 * `runc` runtime declared, `restrict_oom_score_adj`, the `native`
 * snapshotter, host-network pods (no CNI), and a sandbox image whose
 * program stays alive.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, copyFileSync, chmodSync, closeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const execFileP = promisify(execFile);

/** The CRI proto file of this folder. */
export const PROTO = join(import.meta.dirname, 'runtime_v1.proto');

/** A TCP port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, f, ms, proc, logPath) {
  const end = Date.now() + ms;
  for (;;) {
    if (await f()) return;
    if (proc && proc.exitCode !== null) throw new Error(`${what}: the process exited ${proc.exitCode}${logPath ? `: ${readFileSync(logPath, 'utf8').slice(-1500)}` : ''}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stopProcess(p, ms = 5000) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
  if (p.exitCode === null && p.signalCode === null) {
    p.kill('SIGKILL');
    await exited;
  }
}

/** Start Debian's docker-registry on 127.0.0.1 with storage under `dir`; resolves to `{ host, stop }`. */
export async function startRegistry(dir) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    'http:', `  addr: 127.0.0.1:${port}`, '',
  ].join('\n'));
  const p = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const up = () => new Promise((resolve) => {
    const req = http.get(`http://127.0.0.1:${port}/v2/`, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
  });
  await waitFor('docker-registry', up, 10_000, p);
  return { host: `127.0.0.1:${port}`, stop: () => stopProcess(p) };
}

function sha256(b) {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/**
 * Write an OCI image layout at `dir` (tag `tag`) of one gzip layer holding
 * `files` (path in the image → host file, mode 0755), with `config` as the
 * image's container config. `platform`: default linux/<host arch>;
 * containerd 1.6's CRI plugin also pulls and unpacks a lone manifest whose
 * config says `wasip1`/`wasm` (no index to choose from).
 */
export async function writeImage(dir, tag, files, config, platform = {}) {
  const stage = `${dir}.rootfs`;
  mkdirSync(stage, { recursive: true });
  for (const [to, from] of Object.entries(files)) {
    copyFileSync(from, join(stage, to));
    chmodSync(join(stage, to), 0o755);
  }
  const tarPath = `${dir}.tar`;
  await execFileP('tar', ['--owner=0', '--group=0', '--numeric-owner', '--sort=name', '--mtime=@0', '-C', stage, '-cf', tarPath, ...Object.keys(files)]);
  const tar = readFileSync(tarPath);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (mediaType, bytes) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const layer = put('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar));
  const architecture = platform.architecture ?? (process.arch === 'x64' ? 'amd64' : process.arch);
  const cfg = put('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture, os: platform.os ?? 'linux', config, rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  })));
  const manifest = put('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: cfg, layers: [layer],
  })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** Push the OCI layout `dir`:`tag` to `ref` (`HOST/REPO:TAG`, plain http) with skopeo. */
export async function pushImage(dir, tag, ref) {
  await execFileP('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:${tag}`, `docker://${ref}`]);
}

/**
 * The config.toml of a containerd whose paths are all under `work`, with
 * the CRI plugin on: runtime handler `wasmvisor` (io.containerd.runc.v2 with
 * BinaryName `binary`, runc root `work/runc-wasmvisor`, io.wasmvisor.* pod
 * annotations passed through), the default `runc`
 * runtime (the plugin refuses to load without it), `sandboxImage`, and
 * `registry` (HOST:PORT) reached over plain http.
 */
export function containerdConfig({ work, binary, sandboxImage, registry }) {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = "${work}/root"`,
    `state = "${work}/state"`,
    '[grpc]',
    `  address = "${work}/containerd.sock"`,
    '[ttrpc]',
    `  address = "${work}/containerd.sock.ttrpc"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${work}/opt"`,
    `[${cri}]`,
    `  sandbox_image = "${sandboxImage}"`,
    '  restrict_oom_score_adj = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    `[${cri}.containerd]`,
    '  snapshotter = "native"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    `  Root = "${work}/runc-runc"`,
    `[${cri}.containerd.runtimes.wasmvisor]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '  pod_annotations = ["io.wasmvisor.*"]',
    `[${cri}.containerd.runtimes.wasmvisor.options]`,
    `  BinaryName = "${binary}"`,
    `  Root = "${work}/runc-wasmvisor"`,
    `[${cri}.cni]`,
    `  bin_dir = "${work}/cni-bin"`,
    `  conf_dir = "${work}/cni-conf"`,
    `[${cri}.registry.mirrors."${registry}"]`,
    `  endpoint = ["http://${registry}"]`,
    '',
  ].join('\n');
}

/**
 * Start containerd with `containerdConfig(opts)` written to `opts.work`;
 * resolves to `{ address, log, proc, stop }` once its CRI socket answers.
 */
export async function startContainerd(opts) {
  const { work } = opts;
  mkdirSync(work, { recursive: true });
  for (const d of ['cni-bin', 'cni-conf']) mkdirSync(join(work, d), { recursive: true });
  writeFileSync(join(work, 'config.toml'), containerdConfig(opts));
  const log = join(work, 'containerd.log');
  const fd = openSync(log, 'w');
  const proc = spawn('containerd', ['--config', join(work, 'config.toml')], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const address = join(work, 'containerd.sock');
  await waitFor('containerd\'s socket', () => existsSync(address), 20_000, proc, log);
  return { address, log, proc, stop: () => stopProcess(proc, 10_000) };
}

/** grpc-js' callback method `m` of `client`, as a promise. */
function call(client, m) {
  return (req, deadlineMs = 60_000) => new Promise((resolve, reject) => {
    client[m](req, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * A CRI v1 client on containerd's socket: `{ runtime, image, close }`, each
 * method `name(request, deadlineMs?)` resolving to the response (as plain
 * objects, enums as names, int64 as strings, bytes as Buffers).
 */
export function criClient(address) {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def).runtime.v1;
  const creds = grpc.credentials.createInsecure();
  const rt = new pkg.RuntimeService(`unix://${address}`, creds);
  const im = new pkg.ImageService(`unix://${address}`, creds);
  const wrap = (client, svc) => Object.fromEntries(Object.keys(svc.service).map((m) => [m, call(client, m)]));
  return {
    runtime: wrap(rt, pkg.RuntimeService),
    image: wrap(im, pkg.ImageService),
    close() { rt.close(); im.close(); },
  };
}

/**
 * A pod's sandbox config as the kubelet sends it for a host-network pod
 * named `name` (uid `uid`), logs under `logDir`. `hostname`: default the
 * pod's name; runc refuses any hostname in a host-network pod (containerd
 * drops the UTS namespace), so give '' for pods that runc runs.
 */
export function podConfig(name, uid, logDir, hostname = name) {
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname,
    log_directory: logDir,
    dns_config: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: [] },
    labels: { app: name },
    annotations: {},
    linux: { cgroup_parent: '', security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

/** Poll ContainerStatus of `id` until it is EXITED; resolves to its status. */
export async function waitExited(client, id, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const { status } = await client.runtime.ContainerStatus({ container_id: id });
    if (status.state === 'CONTAINER_EXITED') return status;
    if (Date.now() > end) throw new Error(`container ${id} did not exit within ${ms} ms (state ${status.state})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
