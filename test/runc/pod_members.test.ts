/**
 * wasmvisor-runc: the containers of a Kubernetes pod (annotation
 * io.kubernetes.cri.sandbox-id) join the pod's sandbox process instead of
 * starting a Node process each, and a shell stand-in is what the shim
 * watches (src/runtime/detached/pod_standin.ts). Each container is created
 * under a subreaper, as containerd's shim does: the stand-in's exit status
 * is the container's, and its stdio (a pipe for stdin, a file for stdout)
 * is the container's.
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoOnce, refused } from '../support/net_client.js';
import { TOP, alive, killLeftovers, makeBundle, runc, shimCreate, tempDir, until, type Shimmed } from './fixtures/harness.js';

let work: string;
let root: string;
const started: Shimmed[] = [];

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  work = tempDir('runc-pod-');
  root = join(work, 'state');
});

afterAll(() => {
  for (const s of started) s.reaper.stdin?.destroy();
  killLeftovers(root);
  rmSync(work, { recursive: true, force: true });
});

const SANDBOX = { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'pod' };
const MEMBER = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod' };

/** Create under a subreaper; stdin a fifo, as containerd's shim gives pipes (`fifo` false: Node's socket pair). */
async function create(name: string, args: string[], annotations: Record<string, string>, fifo = true, linux?: Record<string, unknown>): Promise<Shimmed> {
  const s = await shimCreate(root, makeBundle(work, name, args, { annotations, ...(linux && { linux }) }), name, undefined, fifo);
  started.push(s);
  return s;
}

async function state(id: string): Promise<Record<string, unknown>> {
  const r = await runc(root, ['state', id]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function ok(args: string[]): Promise<string> {
  const r = await runc(root, args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

describe('wasmvisor-runc: a pod\'s containers join its sandbox process', () => {
  it('members run in the pod\'s process, each held by a stand-in whose exit status and stdio are the container\'s', async () => {
    const pod = await create('pod', ['/pause'], SANDBOX);
    await ok(['start', 'pod']);
    expect(cmdline(pod.pid)).toMatch(/^wasmvisor-sandbox pod/);

    const a = await create('a', ['/hello.wasm', 'x'], MEMBER);
    expect(cmdline(a.pid)).toMatch(/^\/bin\/sh -c .* wasmvisor-sandbox a /); // not a Node process
    expect(await state('a')).toMatchObject({ status: 'created', pid: a.pid });
    await ok(['start', 'a']);
    expect(await a.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(a.stdoutPath, 'utf8')).toBe('hello from wasmvisor\narg 1: x\n');
    expect(await state('a')).toMatchObject({ status: 'stopped' });

    const b = await create('b', ['/probe.wasm', 'exit', '3'], MEMBER);
    await ok(['start', 'b']);
    expect(await b.reaped).toEqual({ create: 0, exit: 3, signal: 0 });

    // a long-running member: ps, pause/resume, exec, then TERM through kill
    const c = await create('c', ['/probe.wasm', 'tick', '0'], MEMBER);
    await ok(['start', 'c']);
    await until('c\'s first tick', () => (readFileSync(c.stdoutPath, 'utf8').includes('tick 1\n') ? true : undefined));
    expect(JSON.parse(await ok(['ps', '--format', 'json', 'c']))).toEqual([c.pid]);
    await ok(['pause', 'c']);
    expect(await state('c')).toMatchObject({ status: 'paused' });
    await ok(['resume', 'c']);
    expect(await ok(['exec', 'c', '/hello.wasm', 'in-c'])).toBe('hello from wasmvisor\narg 1: in-c\n');
    await ok(['kill', 'c', '15']);
    expect(await c.reaped).toEqual({ create: 0, exit: 143, signal: 0 });
    expect(alive(pod.pid)).toBe(true); // members ended, the pod runs on

    for (const id of ['a', 'b', 'c']) await ok(['delete', id]);
    for (const id of ['a', 'b', 'c']) expect(existsSync(join(root, id))).toBe(false);
  }, 120_000);

  it('kill 9 of a member kills it inside the pod (137); killing the pod\'s sandbox process ends every member with 137', async () => {
    const d = await create('d', ['/probe.wasm', 'tick', '0'], MEMBER);
    const e = await create('e', ['/probe.wasm', 'tick', '0'], MEMBER);
    await ok(['start', 'd']);
    await ok(['start', 'e']);
    await ok(['kill', 'd', '9']);
    expect(await d.reaped).toEqual({ create: 0, exit: 137, signal: 0 });
    const podPid = Number((await state('pod')).pid);
    expect(alive(podPid)).toBe(true);
    process.kill(podPid, 'SIGKILL');
    expect(await e.reaped).toEqual({ create: 0, exit: 137, signal: 0 }); // its fifo's writer closed
    expect(await state('e')).toMatchObject({ status: 'stopped' });
    for (const id of ['d', 'e', 'pod']) await ok(['delete', id]);
  }, 120_000);

  it('a member whose pod\'s sandbox process is not running, or whose stdio is a socket, gets a sandbox process of its own', async () => {
    const f = await create('f', ['/hello.wasm', 'alone'], { ...MEMBER, 'io.kubernetes.cri.sandbox-id': 'gone' });
    expect(cmdline(f.pid)).toMatch(/^wasmvisor-sandbox f/);
    await ok(['start', 'f']);
    expect(await f.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(f.stdoutPath, 'utf8')).toBe('hello from wasmvisor\narg 1: alone\n');
    await ok(['delete', 'f']);
    // a socket cannot be reopened through /proc: such a container runs as before, on its own
    const pod = await create('pod2', ['/pause'], { ...SANDBOX, 'io.kubernetes.cri.sandbox-id': 'pod2' });
    await ok(['start', 'pod2']);
    const g = await create('g', ['/hello.wasm', 'socket'], { ...MEMBER, 'io.kubernetes.cri.sandbox-id': 'pod2' }, false);
    expect(cmdline(g.pid)).toMatch(/^wasmvisor-sandbox g/);
    await ok(['start', 'g']);
    expect(await g.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(g.stdoutPath, 'utf8')).toBe('hello from wasmvisor\narg 1: socket\n');
    await ok(['kill', 'pod2', '15']);
    expect(await pod.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    for (const id of ['g', 'pod2']) await ok(['delete', id]);
  }, 60_000);

  it('the pod\'s cgroup (the parent of its containers\' cgroupsPath) takes the sandbox container\'s limits, and they bind its members', async () => {
    const ann = { 'io.kubernetes.cri.sandbox-id': 'pod3' };
    const pod = await create('pod3', ['/pause'], { ...SANDBOX, ...ann }, true, { cgroupsPath: 'kubepods/pod3/pod3', resources: { memory: { limit: 16 * 1024 * 1024 } } });
    await ok(['start', 'pod3']);
    // 64 MiB into /tmp: over the pod's 16 MiB, though the container sets no limit of its own
    const h = await create('h', ['/probe.wasm', 'fill', '64'], { ...MEMBER, ...ann }, true, { cgroupsPath: 'kubepods/pod3/h' });
    expect(cmdline(h.pid)).toMatch(/^\/bin\/sh -c /);
    await ok(['start', 'h']);
    expect(await h.reaped).toEqual({ create: 0, exit: 137, signal: 0 });
    // the same in the same pod's process, outside the pod's cgroup: no limit binds it
    const i = await create('i', ['/probe.wasm', 'fill', '64'], { ...MEMBER, ...ann }, true, { cgroupsPath: '/i' });
    await ok(['start', 'i']);
    expect(await i.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(i.stdoutPath, 'utf8')).toContain('wrote');
    await ok(['kill', 'pod3', '15']);
    expect(await pod.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    for (const id of ['h', 'i', 'pod3']) await ok(['delete', id]);
  }, 60_000);

  it('a member\'s io.wasmvisor.publish listeners are bound by the pod\'s process (in its network) and freed when the member ends', async () => {
    const ann = { 'io.kubernetes.cri.sandbox-id': 'pod5' };
    const pod = await create('pod5', ['/pause'], { ...SANDBOX, ...ann });
    await ok(['start', 'pod5']);
    // as Kubernetes passes them: pod annotations, seen by every container; the one named for this container wins
    const publish = { 'io.wasmvisor.publish': '127.0.0.1::9', 'io.wasmvisor.publish.srv': '127.0.0.1::7', 'io.kubernetes.cri.container-name': 'srv' };
    const bundle = makeBundle(work, 'srv', ['/echo_server.wasm'], { annotations: { ...MEMBER, ...ann, ...publish } });
    copyFileSync(join(TOP, 'wasm/echo_server.wasm'), join(bundle, 'rootfs/echo_server.wasm'));
    const srv = await shimCreate(root, bundle, 'srv', undefined, true);
    started.push(srv);
    expect(cmdline(srv.pid)).toMatch(/^\/bin\/sh -c /); // joined the pod
    const ports = JSON.parse(String(((await state('srv')).annotations as Record<string, string>)['io.wasmvisor.ports'])) as { hostPort: number; containerPort: number }[];
    expect(ports).toHaveLength(1);
    expect(ports[0]!.containerPort).toBe(7);
    const port = ports[0]!.hostPort;
    await ok(['start', 'srv']);
    await until('the member echoes', async () => ((await echoOnce(port, Buffer.from('ping')).catch(() => Buffer.alloc(0))).toString() === 'ping' ? true : undefined));
    await ok(['kill', 'srv', '15']);
    expect(await srv.reaped).toEqual({ create: 0, exit: 143, signal: 0 });
    await until('the host port is free', async () => ((await refused(port)) ? true : undefined));
    expect(alive(pod.pid)).toBe(true);
    // a member that cannot join (its stdio a socket) binds its fixed port in a sandbox process of its own: the pod's process did not take it first
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const fixed = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const b2 = makeBundle(work, 'srv2', ['/echo_server.wasm'], { annotations: { ...MEMBER, ...ann, 'io.wasmvisor.publish': `127.0.0.1:${fixed}:7` } });
    copyFileSync(join(TOP, 'wasm/echo_server.wasm'), join(b2, 'rootfs/echo_server.wasm'));
    const srv2 = await shimCreate(root, b2, 'srv2', undefined, false);
    started.push(srv2);
    expect(cmdline(srv2.pid)).toMatch(/^wasmvisor-sandbox srv2/);
    await ok(['start', 'srv2']);
    await until('srv2 echoes', async () => ((await echoOnce(fixed, Buffer.from('ping')).catch(() => Buffer.alloc(0))).toString() === 'ping' ? true : undefined));
    await ok(['kill', 'srv2', '9']);
    await ok(['kill', 'pod5', '15']);
    await srv2.reaped;
    for (const id of ['srv', 'srv2', 'pod5']) await ok(['delete', id]);
  }, 60_000);
});
