/**
 * Kubernetes' path to wasmvisor, without the kubelet: a real containerd 1.6
 * with its CRI plugin (a config of its own under a temp dir: runtime
 * handler `wasmvisor` = io.containerd.runc.v2 with BinaryName
 * bin/wasmvisor-runc.js, the default runc runtime declared,
 * restrict_oom_score_adj, the native snapshotter), images in a local
 * docker-registry pushed with skopeo, the sandbox image a Wasm pause
 * program (wasm/pause.c), and a CRI v1 client (grpc-js,
 * test/support/cri/runtime_v1.proto) running the kubelet's sequence.
 *
 * The pod's containers join its sandbox process (one Node process per
 * pod; each container held for the shim by a shell stand-in), so the
 * tests run in one pod and check that they stay apart: their own logs,
 * exit codes, exec, stop, and the end of all when the sandbox dies.
 *
 * Pods are host-network pods: no CNI here (the CRI plugin reports its
 * network not ready without a CNI config, which only pods with their own
 * network namespace need). Needs root (containerd); runs in CI as root.
 */
import { readFileSync, readdirSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';
import { echoOnce, refused } from '../support/net_client.js';
import { itWithTools } from '../support/tools.js';
import {
  criClient, podConfig, pushImage, startContainerd, startRegistry, waitExited, writeImage,
  type CriClient, type RunningContainerd,
} from '../support/cri/harness.mjs';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor-runc.js');
const PROBE = join(TOP, 'test/runtime/fixtures/probe.wasm');

const isRoot = process.getuid?.() === 0;
const toolsIt = itWithTools('containerd', 'skopeo', 'docker-registry');
/** Root is a tool too: skipped without it outside CI, a failure in CI. */
const it: typeof vitestIt.skip = isRoot ? toolsIt
  : process.env.CI ? (((name: string) => vitestIt(name, () => { throw new Error('the CRI test needs root (containerd)'); })) as unknown as typeof vitestIt.skip)
  : vitestIt.skip;
const ready = isRoot && (it as unknown) !== (vitestIt.skip as unknown);

let work = '';
let registry: { host: string; stop(): Promise<void> } | null = null;
let ctd: RunningContainerd | null = null;
let cri: CriClient;
let image = '';
let logDir = '';
let pod = '';
let pc: Record<string, unknown> = {};
/** The pod's sandbox process (the pause container's pid). */
let podPid = 0;
/** Two long-running containers of the pod. */
let ticker = '';
let ticker2 = '';

/** Where the wasmvisor handler's shim keeps runc state (`Root`/namespace). */
const runcRoot = () => join(work, 'ctd', 'runc-wasmvisor', 'k8s.io');

/** Pod and container ids made here: a sandbox process is titled `wasmvisor-sandbox ID` (its command line then names nothing else). */
const ids = new Set<string>();

/** Live processes (not zombies) whose command line mentions `text` or is a sandbox process of `ids`, containerd itself left out. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === ctd?.proc.pid || Number(pid) === process.pid) continue;
    try {
      if (/^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text) || ids.has(/(?:^| )wasmvisor-sandbox (\S+)/.exec(cmd)?.[1] ?? '')) found.push(`${pid}: ${cmd.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Lines of the container's CRI log file (`TIMESTAMP STREAM TAG text`). */
function logLines(name: string): string[] {
  const path = join(logDir, name);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** A runc state.json under the wasmvisor handler's root. */
function runcState(id: string): { status: string; pid: number; pod?: string; annotations?: Record<string, string> } {
  return JSON.parse(readFileSync(join(runcRoot(), id, 'state.json'), 'utf8')) as { status: string; pid: number; pod?: string; annotations?: Record<string, string> };
}

/** Command line of `pid` (NUL as space), '' once gone. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

const rssKb = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** Node processes titled `wasmvisor-sandbox ID` for an id made here (stand-ins are shells: their title is an argument). */
function nodeSandboxes(): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ids.has(/^wasmvisor-sandbox (\S+)/.exec(cmdline(Number(p)))?.[1] ?? ''));
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** CreateContainer + StartContainer in the test's pod; resolves to the container's id. */
async function startIn(name: string, command: string[], args: string[] = [], memory = 0): Promise<string> {
  const { container_id: id } = await cri.runtime.CreateContainer({
    pod_sandbox_id: pod,
    sandbox_config: pc,
    config: {
      metadata: { name, attempt: 0 },
      image: { image },
      command,
      args,
      envs: [{ key: 'GREETING', value: 'hi' }],
      log_path: `${name}.log`,
      linux: { resources: { memory_limit_in_bytes: String(memory) } },
    },
  });
  ids.add(id as string);
  await cri.runtime.StartContainer({ container_id: id });
  return id as string;
}

beforeAll(async () => {
  if (!ready) return;
  if (!existsSync(join(TOP, 'dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  work = mkdtempSync(join(tmpdir(), 'wv-cri-'));
  logDir = join(work, 'pods', 'default_pod-a_uid-a');
  mkdirSync(logDir, { recursive: true });
  registry = await startRegistry(join(work, 'registry'));
  const pause = `${registry.host}/wasmvisor/pause:test`;
  image = `${registry.host}/wasmvisor/app:test`;
  await writeImage(join(work, 'img-pause'), 'test', { 'pause.wasm': join(TOP, 'wasm/pause.wasm') }, { Entrypoint: ['/pause.wasm'] });
  await pushImage(join(work, 'img-pause'), 'test', pause);
  // a Wasm image as wasm tooling publishes one: platform wasip1/wasm
  await writeImage(join(work, 'img-app'), 'test', { 'hello.wasm': join(TOP, 'wasm/hello.wasm'), 'probe.wasm': PROBE, 'echo_server.wasm': join(TOP, 'wasm/echo_server.wasm') }, { Entrypoint: ['/hello.wasm'], Env: ['PATH=/'] }, { os: 'wasip1', architecture: 'wasm' });
  await pushImage(join(work, 'img-app'), 'test', image);
  ctd = await startContainerd({ work: join(work, 'ctd'), binary: BIN, sandboxImage: pause, registry: registry.host });
  cri = criClient(ctd.address);
  pc = podConfig('pod-a', 'uid-a', logDir);
  // the container named echo gets a listener (pod annotations are all Kubernetes passes; the config lets io.wasmvisor.* through)
  pc.annotations = { 'io.wasmvisor.publish.echo': '127.0.0.1::7' };
}, 120_000);

afterAll(async () => {
  cri?.close();
  await ctd?.stop();
  await registry?.stop();
  if (work) {
    for (const p of processesMentioning(work)) process.kill(Number(p.split(':')[0]), 'SIGKILL'); // a failed test's leftovers
    rmSync(work, { recursive: true, force: true });
  }
}, 60_000);

describe.sequential('containerd 1.6 CRI runs Wasm pods on wasmvisor-runc (the kubelet\'s sequence)', () => {
  it('PullImage takes the Wasm image from the local registry', async () => {
    const { image_ref: ref } = await cri.image.PullImage({ image: { image } });
    expect(ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { image: st } = await cri.image.ImageStatus({ image: { image } });
    expect(st.repo_tags).toContain(image);
  }, 60_000);

  it('RunPodSandbox with runtime_handler wasmvisor: the pod is ready, held by a live sandbox process', async () => {
    ({ pod_sandbox_id: pod } = await cri.runtime.RunPodSandbox({ config: pc, runtime_handler: 'wasmvisor' }, 90_000));
    ids.add(pod);
    const { status } = await cri.runtime.PodSandboxStatus({ pod_sandbox_id: pod });
    expect(status.state).toBe('SANDBOX_READY');
    expect(status.runtime_handler).toBe('wasmvisor');
    const st = runcState(pod);
    expect(st.status).toBe('running');
    podPid = st.pid;
    // the pod's sandbox process: Node, titled by the pod's id; its containers will join it
    expect(cmdline(podPid)).toMatch(new RegExp(`^wasmvisor-sandbox ${pod}\\s*$`)); // process.title pads the old command line
    expect(nodeSandboxes()).toEqual([String(podPid)]);
  }, 120_000);

  it('two long-running containers join the pod\'s sandbox process: no Node process of their own, a stand-in each of a few MiB', async () => {
    ticker = await startIn('ticker', ['/probe.wasm', 'tick', '0']);
    ticker2 = await startIn('ticker2', ['/probe.wasm', 'tick', '0']);
    for (const name of ['ticker', 'ticker2']) await until(`the first tick in ${name}'s log`, () => logLines(`${name}.log`).some((l) => / stdout F tick 0$/.test(l)), 60_000);
    for (const id of [ticker, ticker2]) {
      const st = runcState(id);
      expect(st).toMatchObject({ status: 'running', pod });
      expect(cmdline(st.pid)).toMatch(new RegExp(`^/bin/sh -c .* wasmvisor-sandbox ${id} `));
      expect(rssKb(st.pid)).toBeLessThan(5 * 1024); // a Node process is about 40 MiB
    }
    expect(nodeSandboxes()).toEqual([String(podPid)]);
  }, 120_000);

  it('a container runs to its end: exit 0, reason Completed, its output in the CRI log format', async () => {
    const id = await startIn('hello', ['/hello.wasm'], ['x', 'y z']);
    const st = await waitExited(cri, id, 90_000);
    expect(st.exit_code).toBe(0);
    expect(st.reason).toBe('Completed');
    expect(BigInt(st.started_at)).toBeGreaterThan(0n);
    // containerd stamps started_at when the runtime's `start` returns: a container that ends sooner (in a pod's
    // sandbox process, hello does) may have finished_at a little before it; only a wrong clock is far off
    expect(BigInt(st.finished_at)).toBeGreaterThan(BigInt(st.started_at) - 10_000_000_000n);
    const lines = await until('the log lines', () => (logLines('hello.log').length >= 3 ? logLines('hello.log') : undefined));
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) stdout F /);
    expect(lines.map((l) => l.split(' ').slice(3).join(' '))).toEqual(['hello from wasmvisor', 'arg 1: x', 'arg 2: y z']);
    await cri.runtime.RemoveContainer({ container_id: id });
    expect(existsSync(join(runcRoot(), id))).toBe(false);
  }, 120_000);

  it('a failing container: its exit code (3) and reason Error', async () => {
    const id = await startIn('fails', ['/probe.wasm', 'exit', '3']);
    const st = await waitExited(cri, id, 90_000);
    expect(st.exit_code).toBe(3);
    expect(st.reason).toBe('Error');
  }, 120_000);

  it('a container over its memory limit is OOM-killed: exit 137, reason OOMKilled; the pod\'s other containers run on', async () => {
    // 64 MiB written into /tmp (charged to the container's memory cgroup) under a 16 MiB limit
    const id = await startIn('oom', ['/probe.wasm', 'fill', '64'], [], 16 * 1024 * 1024);
    const st = await waitExited(cri, id, 90_000);
    expect(st.exit_code).toBe(137);
    expect(st.reason).toBe('OOMKilled');
    for (const c of [ticker, ticker2]) expect((await cri.runtime.ContainerStatus({ container_id: c })).status.state).toBe('CONTAINER_RUNNING');
    expect(nodeSandboxes()).toEqual([String(podPid)]);
  }, 120_000);

  it('a container whose pod publishes a port for it serves it from the pod\'s network (a probe or port-forward reaches it); StopContainer frees it', async () => {
    const id = await startIn('echo', ['/echo_server.wasm']);
    const ports = JSON.parse(runcState(id).annotations?.['io.wasmvisor.ports'] ?? '[]') as { hostPort: number; containerPort: number }[];
    expect(ports).toMatchObject([{ containerPort: 7 }]);
    const port = ports[0]!.hostPort;
    let back = '';
    for (const end = Date.now() + 30_000; back !== 'ping' && Date.now() < end;) {
      back = (await echoOnce(port, Buffer.from('ping')).catch(() => Buffer.alloc(0))).toString();
      if (back !== 'ping') await new Promise((r) => setTimeout(r, 50));
    }
    expect(back).toBe('ping');
    await cri.runtime.StopContainer({ container_id: id, timeout: 5 }, 60_000);
    expect((await waitExited(cri, id)).exit_code).toBe(143);
    expect(await refused(port)).toBe(true);
    await cri.runtime.RemoveContainer({ container_id: id });
  }, 120_000);

  it('ExecSync in a container of the pod, then StopContainer with a timeout: it ends, the others run on', async () => {
    const id = ticker;
    const ex = await cri.runtime.ExecSync({ container_id: id, cmd: ['/hello.wasm', 'in-exec'], timeout: '30' }, 60_000);
    expect(ex.exit_code).toBe(0);
    expect(Buffer.from(ex.stdout).toString()).toBe('hello from wasmvisor\narg 1: in-exec\n');
    const ex6 = await cri.runtime.ExecSync({ container_id: id, cmd: ['/probe.wasm', 'exit', '6'], timeout: '30' }, 60_000);
    expect(ex6.exit_code).toBe(6);
    const t0 = Date.now();
    await cri.runtime.StopContainer({ container_id: id, timeout: '20' }, 60_000);
    expect(Date.now() - t0).toBeLessThan(20_000); // SIGTERM ended it: no wait for the grace period's SIGKILL
    const st = await waitExited(cri, id, 30_000);
    expect(st.exit_code).toBe(143); // 128 + SIGTERM
    expect(st.reason).toBe('Error');
    expect((await cri.runtime.ContainerStatus({ container_id: ticker2 })).status.state).toBe('CONTAINER_RUNNING');
    const ticks = logLines('ticker2.log').length;
    await until('ticker2 to tick on', () => logLines('ticker2.log').length > ticks + 2, 30_000);
  }, 180_000);

  it('killing the pod\'s sandbox process ends every container of the pod: containerd sees each exit (137)', async () => {
    const standIn = runcState(ticker2).pid;
    process.kill(podPid, 'SIGKILL');
    const st = await waitExited(cri, ticker2, 60_000);
    expect(st.exit_code).toBe(137);
    await until('the stand-in to end', () => cmdline(standIn) === '' || /^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${standIn}/stat`, 'utf8')), 30_000);
  }, 120_000);

  it('StopPodSandbox and RemovePodSandbox leave no process, state directory or mount behind', async () => {
    await cri.runtime.StopPodSandbox({ pod_sandbox_id: pod }, 90_000);
    await cri.runtime.RemovePodSandbox({ pod_sandbox_id: pod }, 90_000);
    const { containers } = await cri.runtime.ListContainers({});
    expect(containers).toEqual([]);
    // the shims and exec relays name containerd's directory in their command lines; sandbox processes their id
    const ctdDir = join(work, 'ctd');
    await until('the pod\'s processes to end', () => processesMentioning(ctdDir).length === 0, 30_000).catch(() => undefined);
    expect(processesMentioning(ctdDir)).toEqual([]);
    expect(readdirSync(runcRoot())).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(work))).toEqual([]);
  }, 180_000);
});
