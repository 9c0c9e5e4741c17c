/**
 * The lifecycle operations of detached containers driven from code, without
 * either CLI: create → start → kill → delete through the library's
 * functions, and the status guards' refusals (each a DetachedError with a
 * stable code and the words the CLIs print).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DetachedContainer, DetachedError, createContainer, deleteContainer, execInContainer, killContainer, listStates, pauseContainer,
  resumeContainer, runContainer, startContainer, stopContainer, stoppedExitCode, waitContainer,
} from '../../src/index.js';
import { alive, killLeftovers, makeBundle, tempDir } from '../runc/fixtures/harness.js';
import { requireDist } from './helpers.js';

let work: string;
let root: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  requireDist(); // the sandbox process runs the built JavaScript
  work = tempDir('detached-lib-');
  root = join(work, 'state');
});

afterAll(() => {
  for (const c of children) c.stdin?.destroy();
  killLeftovers(root);
  rmSync(work, { recursive: true, force: true });
});

/** `p` rejects with a DetachedError of `code` whose message matches `re`. */
async function refused(p: Promise<unknown>, code: DetachedError['code'], re: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, `expected a DetachedError ${code}`).toBeInstanceOf(DetachedError);
  expect((err as DetachedError).code).toBe(code);
  expect((err as Error).message).toMatch(re);
}

/** Create container `id` running probe `args`, its stdin a pipe held by this test, its stdout and stderr a file. */
async function create(id: string, args: string[]): Promise<{ c: DetachedContainer; child: ChildProcess; out: string }> {
  const out = join(work, `${id}.out`);
  const fd = openSync(out, 'w');
  try {
    const { container, child } = await createContainer({ root, id, bundle: makeBundle(work, id, args), stdio: ['pipe', fd, fd] });
    children.push(child);
    return { c: container, child, out };
  } finally {
    closeSync(fd);
  }
}

describe('detached containers through the library', () => {
  it('create → created → start → running → kill TERM → stopped with 143 → delete → gone; guards refuse out of turn', async () => {
    const { c, child } = await create('life', ['/probe.wasm', 'cat']);
    expect(c.status).toBe('created');
    expect(c.state.pid).toBe(child.pid);
    expect(existsSync(join(root, 'life', 'state.json'))).toBe(true);
    await refused(execInContainer(root, 'life', { args: ['/hello.wasm'] }), 'WRONG_STATE', /^cannot exec into container life: it is created; start it/);

    await startContainer(root, 'life');
    expect(c.refresh().status).toBe('running');
    await refused(startContainer(root, 'life'), 'WRONG_STATE', /^cannot start container life: it is running; a container starts once/);
    await refused(deleteContainer(root, 'life'), 'WRONG_STATE', /^cannot delete container life: it is running; stop it first/);
    expect(listStates(root).map((s) => [s.id, s.status])).toEqual([['life', 'running']]);

    await killContainer(root, 'life', 'TERM');
    const end = await waitContainer(root, 'life', 20_000);
    expect(end).toMatchObject({ status: 'stopped', pid: 0 });
    expect(stoppedExitCode(end!)).toBe(143);
    // containerd's shim matches these words for "already finished"
    await refused(killContainer(root, 'life', '15'), 'WRONG_STATE', /container not running/);

    await deleteContainer(root, 'life');
    expect(existsSync(join(root, 'life'))).toBe(false);
    await refused(startContainer(root, 'life'), 'NOT_FOUND', /^container life does not exist/);
    expect(() => DetachedContainer.load(root, 'life')).toThrow(/does not exist/);
  });

  it('create refuses a bad id, a taken id and a bad signal, and leaves nothing behind', async () => {
    await refused(createContainer({ root, id: '../x', bundle: makeBundle(work, 'badid', ['/hello.wasm']) }), 'BAD_ID', /invalid container id/);
    const { c } = await create('twice', ['/probe.wasm', 'cat']);
    await refused(createContainer({ root, id: 'twice', bundle: makeBundle(work, 'twice2', ['/hello.wasm']) }), 'EXISTS', /exists already/);
    await refused(killContainer(root, 'twice', 'NOPE'), 'BAD_ARG', /invalid signal "NOPE"/);
    await refused(createContainer({ root, id: 'nobundle', bundle: join(work, 'missing') }), 'BAD_BUNDLE', /cannot read/);
    expect(existsSync(join(root, 'nobundle'))).toBe(false);
    // a created container is deleted without force (its sandbox process is killed)
    await deleteContainer(root, 'twice');
    expect(existsSync(c.dir)).toBe(false);
  });

  it('pause and resume, then stop: TERM ends it within the timeout; delete --force of a running one', async () => {
    await create('pz', ['/probe.wasm', 'cat']);
    await startContainer(root, 'pz');
    await pauseContainer(root, 'pz');
    expect(DetachedContainer.load(root, 'pz').status).toBe('paused');
    await refused(pauseContainer(root, 'pz'), 'WRONG_STATE', /^cannot pause container pz: it is paused/);
    await resumeContainer(root, 'pz');
    expect(DetachedContainer.load(root, 'pz').status).toBe('running');
    await stopContainer(root, 'pz', 10_000);
    const st = DetachedContainer.load(root, 'pz').state;
    expect(st.status).toBe('stopped');
    expect(stoppedExitCode(st)).toBe(143);
    await deleteContainer(root, 'pz');

    const { c } = await create('forced', ['/probe.wasm', 'cat']);
    await startContainer(root, 'forced');
    const pid = c.state.pid;
    await deleteContainer(root, 'forced', { force: true });
    expect(existsSync(c.dir)).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  it('run waits for the container, resolves with its exit code, and deletes it', async () => {
    const out = join(work, 'run.out');
    const fd = openSync(out, 'w');
    let code: number;
    try {
      code = await runContainer({ root, id: 'ran', bundle: makeBundle(work, 'ran', ['/probe.wasm', 'exit', '7']), stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    expect(code).toBe(7);
    expect(existsSync(join(root, 'ran'))).toBe(false);
    const fd2 = openSync(out, 'w');
    try {
      code = await runContainer({ root, id: 'hi', bundle: makeBundle(work, 'hi', ['/hello.wasm', 'x']), stdio: ['ignore', fd2, 'inherit'] });
    } finally {
      closeSync(fd2);
    }
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('hello from wasmvisor\narg 1: x\n');
  });
});
