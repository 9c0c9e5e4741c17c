/**
 * wasmvisor-runc driven as containerd's shim drives it (global flags first,
 * the container's stdio on fds 0–2 of `create`, the exit status reaped from
 * the sandbox process by a subreaper), against a temp --root.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, TOP, alive, killLeftovers, makeBundle, runc, shimCreate, tempDir, type Shimmed } from './fixtures/harness.js';

let work: string;
let root: string;
const started: Shimmed[] = [];

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  work = tempDir('runc-life-');
  root = join(work, 'state');
});

afterAll(() => {
  for (const s of started) s.reaper.stdin?.destroy();
  killLeftovers(root);
  rmSync(work, { recursive: true, force: true });
});

async function create(name: string, args: string[]): Promise<Shimmed> {
  const s = await shimCreate(root, makeBundle(work, name, args), name);
  started.push(s);
  return s;
}

async function state(id: string): Promise<Record<string, unknown>> {
  const r = await runc(root, ['state', id]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('wasmvisor-runc lifecycle', () => {
  it('create → created with a live pid → start → output on the stdout fd → exit status reaped → stopped → delete', async () => {
    const s = await create('life', ['/hello.wasm', 'one']);
    const st = await state('life');
    expect(st).toMatchObject({ ociVersion: '1.2.0', id: 'life', status: 'created', pid: s.pid, rootfs: join(work, 'life/rootfs') });
    expect(alive(s.pid)).toBe(true);
    expect(readFileSync(s.stdoutPath, 'utf8')).toBe(''); // nothing runs before start

    const started_ = await runc(root, ['start', 'life']);
    expect(started_.code, started_.stderr).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(s.stdoutPath, 'utf8')).toBe('hello from wasmvisor\narg 1: one\n');

    expect(await state('life')).toMatchObject({ status: 'stopped', pid: 0 });
    const del = await runc(root, ['delete', 'life']);
    expect(del.code, del.stderr).toBe(0);
    expect(existsSync(join(root, 'life'))).toBe(false);
    const gone = await runc(root, ['state', 'life']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^wasmvisor-runc: container life does not exist/);
  });

  it('the sandbox process exits with the container\'s own code', async () => {
    const s = await create('seven', ['/probe.wasm', 'exit', '7']);
    expect((await runc(root, ['start', 'seven'])).code).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 7, signal: 0 });
  });

  it('kill TERM of a container blocked reading stdin ends it with 143; kill 9 kills the sandbox process', async () => {
    const s = await create('blocked', ['/probe.wasm', 'cat']);
    expect((await runc(root, ['start', 'blocked'])).code).toBe(0);
    expect(await state('blocked')).toMatchObject({ status: 'running', pid: s.pid });
    const k = await runc(root, ['kill', 'blocked', 'TERM']);
    expect(k.code, k.stderr).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 143, signal: 0 });
    expect(await state('blocked')).toMatchObject({ status: 'stopped' });
    const again = await runc(root, ['kill', 'blocked', '15']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('container not running'); // the shim's words for "already finished"

    const s9 = await create('nine', ['/probe.wasm', 'cat']);
    expect((await runc(root, ['start', 'nine'])).code).toBe(0);
    expect((await runc(root, ['kill', 'nine', '9'])).code).toBe(0);
    expect(await s9.reaped).toEqual({ create: 0, exit: 0, signal: 9 });

    // a created container that never started stops with the signal's code too
    const sc = await create('never', ['/hello.wasm']);
    expect((await runc(root, ['kill', 'never', 'SIGINT'])).code).toBe(0);
    expect(await sc.reaped).toEqual({ create: 0, exit: 130, signal: 0 });
    expect(readFileSync(sc.stdoutPath, 'utf8')).toBe('');
  });

  it('refuses wrong-state operations with one line and exit 1', async () => {
    const s = await create('twice', ['/probe.wasm', 'cat']);
    expect((await runc(root, ['pause', 'twice'])).stderr).toMatch(/cannot pause container twice: it is created/);
    expect((await runc(root, ['start', 'twice'])).code).toBe(0);
    const second = await runc(root, ['start', 'twice']);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe('wasmvisor-runc: cannot start container twice: it is running; a container starts once: create another\n');
    const del = await runc(root, ['delete', 'twice']);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/^wasmvisor-runc: cannot delete container twice: it is running; .*--force\n$/);
    expect(alive(s.pid)).toBe(true);

    expect((await runc(root, ['pause', 'twice'])).code).toBe(0);
    expect(await state('twice')).toMatchObject({ status: 'paused' });
    expect((await runc(root, ['resume', 'twice'])).code).toBe(0);
    expect(await state('twice')).toMatchObject({ status: 'running' });
    // STOP and CONT by Linux number and by name pause and resume it too
    expect((await runc(root, ['kill', 'twice', '19'])).code).toBe(0);
    expect(await state('twice')).toMatchObject({ status: 'paused' });
    expect((await runc(root, ['kill', 'twice', 'CONT'])).code).toBe(0);
    expect(await state('twice')).toMatchObject({ status: 'running' });

    const force = await runc(root, ['delete', '--force', 'twice']);
    expect(force.code, force.stderr).toBe(0);
    expect(await s.reaped).toMatchObject({ signal: 9 });
    expect(existsSync(join(root, 'twice'))).toBe(false);
  });

  it('a malformed config.json fails create with one line and leaves no state', async () => {
    const b = makeBundle(work, 'bad', ['/hello.wasm']);
    writeFileSync(join(b, 'config.json'), '{"process": {"args": ["/hello.wasm"]},');
    const log = join(work, 'bad.log');
    const r = await runc(root, ['create', '--bundle', b, '--pid-file', join(work, 'bad.pid'), 'bad'], { log });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wasmvisor-runc: .*config\.json is not valid JSON: [^\n]*\n$/);
    expect(existsSync(join(root, 'bad'))).toBe(false);
    expect(existsSync(join(work, 'bad.pid'))).toBe(false);
    const rec = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!) as Record<string, string>;
    expect(rec).toMatchObject({ level: 'error' });
    expect(rec.msg).toContain('is not valid JSON');

    // a module missing from the root: also refused before any state exists
    const nomod = makeBundle(work, 'nomod', ['/absent.wasm']);
    const r2 = await runc(root, ['create', '--bundle', nomod, 'nomod']);
    expect(r2.stderr).toBe(`wasmvisor-runc: /absent.wasm: no such file in the container's root ${join(nomod, 'rootfs')}\n`);
    expect(existsSync(join(root, 'nomod'))).toBe(false);

    // refused by the sandbox process itself (the Sentry cannot mount it): its message, and still no state
    const bind = makeBundle(work, 'bind', ['/hello.wasm'], { mounts: [{ destination: '/data', type: 'bind', source: join(work, 'absent'), options: ['rbind'] }] });
    const r3 = await runc(root, ['create', '--bundle', bind, '--pid-file', join(work, 'bind.pid'), 'bind']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toBe(`wasmvisor-runc: bind mount ${join(work, 'absent')} → /data: ${join(work, 'absent')} cannot be used (errno NOENT)\n`);
    expect(existsSync(join(root, 'bind'))).toBe(false);
    expect(existsSync(join(work, 'bind.pid'))).toBe(false);
  });

  it('says "does not exist" for a missing container, whatever the command', async () => {
    for (const args of [['state', 'nope'], ['start', 'nope'], ['kill', 'nope', 'KILL'], ['delete', 'nope'], ['delete', '--force', 'nope'], ['ps', '--format', 'json', 'nope']]) {
      const r = await runc(root, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^wasmvisor-runc: container nope does not exist \(under .*\n$/);
    }
  });

  it('run exits with the container\'s code; run -d, events --stats, exec, ps, list, and kill by name', async () => {
    const b = makeBundle(work, 'runner', ['/probe.wasm', 'exit', '3']);
    const r = await runc(root, ['run', '--bundle', b, 'runner']);
    expect(r.code, r.stderr).toBe(3);
    expect(existsSync(join(root, 'runner'))).toBe(false);

    const tick = makeBundle(work, 'ticker', ['/probe.wasm', 'tick', '0'], { linux: { resources: { memory: { limit: 32 << 20 }, pids: { limit: 8 } } } });
    const d = await runc(root, ['run', '-d', '--bundle', tick, 'ticker'], { quiet: true });
    expect(d.code).toBe(0);
    const st = await state('ticker');
    expect(st.status).toBe('running');
    const ps = await runc(root, ['ps', '--format', 'json', 'ticker']);
    expect(JSON.parse(ps.stdout)).toEqual([st.pid]);
    const list = await runc(root, ['list', '--format', 'json']);
    expect((JSON.parse(list.stdout) as { id: string; status: string }[]).find((c) => c.id === 'ticker')).toMatchObject({ status: 'running' });

    const ev = await runc(root, ['events', '--stats', 'ticker']);
    expect(ev.code, ev.stderr).toBe(0);
    const stats = JSON.parse(ev.stdout) as { type: string; data: { memory: { usage: { usage: number; limit: number } }; pids: { current: number; limit: number } } };
    expect(stats).toMatchObject({ type: 'stats', id: 'ticker', data: { memory: { usage: { limit: 32 << 20 } }, pids: { current: 1, limit: 8 } } });
    expect(stats.data.memory.usage.usage).toBeGreaterThan(0);

    const ex = await runc(root, ['exec', 'ticker', '/hello.wasm', 'from-exec']);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toBe('hello from wasmvisor\narg 1: from-exec\n');
    const procFile = join(work, 'process.json');
    writeFileSync(procFile, JSON.stringify({ args: ['/probe.wasm', 'exit', '5'], cwd: '/' }));
    const ex5 = await runc(root, ['exec', '--process', procFile, 'ticker']);
    expect(ex5.code, ex5.stderr).toBe(5);

    // `exec` without --detach is the exec's process: a signal sent to it goes to the exec'd process
    const epid = join(work, 'exec.pid');
    const running = runc(root, ['exec', '--pid-file', epid, 'ticker', '/probe.wasm', 'tick', '0']);
    for (let i = 0; i < 1500 && !existsSync(epid); i++) await new Promise((res) => setTimeout(res, 20));
    const relay = Number(readFileSync(epid, 'utf8'));
    expect(JSON.parse((await runc(root, ['ps', '--format', 'json', 'ticker'])).stdout)).toEqual([st.pid, relay]);
    process.kill(relay, 'SIGTERM');
    const termed = await running;
    expect(termed.code, termed.stderr).toBe(143);

    expect((await runc(root, ['kill', 'ticker', 'SIGKILL'])).code).toBe(0);
    for (let i = 0; i < 200 && alive(st.pid as number); i++) await new Promise((res) => setTimeout(res, 20));
    expect(await state('ticker')).toMatchObject({ status: 'stopped' });
    expect((await runc(root, ['delete', 'ticker'])).code).toBe(0);
  });

  it('a long id under a deep root still reaches its control socket (past the 107-byte socket path limit)', async () => {
    const id = `long-${'x'.repeat(120)}`;
    const deep = join(root, 'deep'.repeat(10));
    const b = makeBundle(work, 'long', ['/probe.wasm', 'exit', '4']);
    expect(join(deep, id, 'ctl.sock').length).toBeGreaterThan(107);
    const r = await runc(deep, ['run', '--bundle', b, id]);
    expect(r.code, r.stderr).toBe(4);
  });
});

describe('wasmvisor-runc pod sandboxes', () => {
  it('runs a Kubernetes pause container as an idle sandbox: no module needed, exec refused, TERM ends it with 0', async () => {
    const b = makeBundle(work, 'pod', ['/pause'], {
      annotations: { 'io.kubernetes.cri.container-type': 'sandbox' },
      // CRI gives the sandbox a network namespace to join by path (CNI's); one that exists is test/e2e/netns's case, and a
      // missing one is refused as runc refuses it: here the pod asks for a new one
      linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
    });
    writeFileSync(join(b, 'rootfs/pause'), '\x7fELF\x02\x01\x01'); // the native pause binary of the image, never run
    const s = await shimCreate(root, b, 'pod');
    started.push(s);
    expect(await state('pod')).toMatchObject({ status: 'created', pid: s.pid, annotations: { 'io.kubernetes.cri.container-type': 'sandbox' } });
    expect((await runc(root, ['start', 'pod'])).code).toBe(0);
    expect(await state('pod')).toMatchObject({ status: 'running' });
    expect((await runc(root, ['pause', 'pod'])).code).toBe(0);
    expect(await state('pod')).toMatchObject({ status: 'paused' });
    expect((await runc(root, ['resume', 'pod'])).code).toBe(0);
    const ex = await runc(root, ['exec', 'pod', '/hello.wasm']);
    expect(ex.code).toBe(1);
    expect(ex.stderr).toMatch(/^wasmvisor-runc: container pod is a pod sandbox \(pause\): it runs no program to exec into/);
    expect((await runc(root, ['kill', 'pod', '15'])).code).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(await state('pod')).toMatchObject({ status: 'stopped' });
    expect((await runc(root, ['delete', 'pod'])).code).toBe(0);
  });
});

describe('wasmvisor-runc command line', () => {
  it('--help works on every command; --version and features print', async () => {
    const { buildProgram } = await import('../../src/cli/runc/main.js');
    const program = buildProgram(() => {});
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['create', 'start', 'state', 'kill', 'delete', 'list', 'ps', 'exec', 'events', 'pause', 'resume', 'spec', 'run', 'features']));
    for (const n of names) {
      const r = await runc(root, [n, '--help']);
      expect(r.code, n).toBe(0);
      expect(r.stdout, n).toContain(`Usage: wasmvisor-runc ${n}`);
    }
    const v = await runc(root, ['--version']);
    expect(v.stdout).toMatch(/^wasmvisor-runc version \d/);
    const f = JSON.parse((await runc(root, ['features'])).stdout) as { ociVersionMax: string };
    expect(f.ociVersionMax).toBe('1.2.0');
  });

  it('unknown flags and commands: one line, exit 1, and a json log record', async () => {
    const log = join(work, 'usage.log');
    const r = await runc(root, ['create', '--frobnicate', 'x'], { log });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("wasmvisor-runc: unknown option '--frobnicate' (see --help)\n");
    const u = await runc(root, ['frob']);
    expect(u.code).toBe(1);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(readFileSync(log, 'utf8').trim())).toMatchObject({ level: 'error', msg: "unknown option '--frobnicate' (see --help)" });
  });

  it('spec writes a config that run accepts, and refuses to overwrite it', async () => {
    const b = makeBundle(work, 'spec', []);
    rmSync(join(b, 'config.json'));
    const s = await new Promise<number>((resolve) => {
      import('node:child_process').then(({ spawn }) => spawn(process.execPath, [BIN, 'spec'], { cwd: b, stdio: 'ignore' }).once('close', (c) => resolve(c ?? -1)));
    });
    expect(s).toBe(0);
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as { process: { args: string[] } };
    cfg.process.args = ['/hello.wasm'];
    writeFileSync(join(b, 'config.json'), JSON.stringify(cfg));
    const r = await runc(root, ['run', '--bundle', b, 'spec']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello from wasmvisor\n');
    const again = await runc(root, ['spec', '--bundle', b]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
  });
});
