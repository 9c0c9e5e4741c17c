import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, ContainerError, canStart, canKill, canPause, canResume, canExec, canDelete } from '../../src/index.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

async function wrongState(p: Promise<unknown>, re: RegExp): Promise<void> {
  const err = await p.then(() => null, (e) => e);
  expect(err, 'expected a WRONG_STATE error').toBeInstanceOf(ContainerError);
  expect((err as ContainerError).code).toBe('WRONG_STATE');
  expect((err as Error).message).toMatch(re);
}

describe('lifecycle', () => {
  it('guards match the states', () => {
    expect(canStart({ state: 'created' })).toBe(true);
    expect(canStart({ state: 'running', pid: 1 })).toBe(false);
    expect(canKill({ state: 'paused', pid: 1 })).toBe(true);
    expect(canKill({ state: 'stopped', result: { exitCode: 0, oomKilled: false } })).toBe(false);
    expect(canPause({ state: 'paused', pid: 1 })).toBe(false);
    expect(canResume({ state: 'paused', pid: 1 })).toBe(true);
    expect(canExec({ state: 'created' })).toBe(false);
    expect(canDelete({ state: 'running', pid: 1 })).toBe(false);
    expect(canDelete({ state: 'stopped', result: { exitCode: 0, oomKilled: false } })).toBe(true);
  });

  it('created → running → stopped → deleted, with output and exit code', async () => {
    const c = await rt.create({ module: PROBE, config: probe('exit', '42') });
    expect(c.status.state).toBe('created');
    await wrongState(c.pause(), /cannot pause container .* it is created/);
    await wrongState(c.resume(), /it is created/);
    await wrongState(c.exec(), /cannot exec into .* created/);
    await c.start();
    expect(['running', 'stopped']).toContain(c.status.state);
    await wrongState(c.start(), /cannot start .*starts once/);
    const r = await c.wait();
    expect(r).toEqual({ exitCode: 42, oomKilled: false });
    expect(c.status).toEqual({ state: 'stopped', result: r });
    await wrongState(c.kill('SIGTERM'), /cannot kill .* stopped/);
    await wrongState(c.pause(), /stopped/);
    await wrongState(c.exec(), /stopped/);
    expect((await c.stats()).pidsCurrent).toBe(0);
    await c.delete();
    expect(c.status.state).toBe('deleted');
    await wrongState(c.delete(), /deleted/);
    await wrongState(c.stats(), /deleted/);
    await expect(c.wait()).rejects.toThrow(/deleted/);
    expect(() => rt.get(c.id)).toThrow(/no container/);
  });

  it('stdout and argv reach the host', async () => {
    const c = await rt.run({ module: PROBE, config: { process: { args: ['probe', 'hostname'] }, hostname: 'box', linux: { namespaces: [{ type: 'uts' }] } } });
    expect(await c.wait()).toEqual({ exitCode: 0, oomKilled: false });
    expect(c.init.stdout.text()).toBe('box\n');
    await c.delete();
  });

  it('delete refuses a running container unless forced', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    await wrongState(c.delete(), /cannot delete .* running; stop it first/);
    await c.delete({ force: true });
    expect(c.status.state).toBe('deleted');
  });

  it('kill of a created container stops it without running', async () => {
    const c = await rt.create({ module: PROBE, config: probe('tick', '0') });
    await c.kill('SIGTERM');
    expect(await c.wait()).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
    await wrongState(c.start(), /stopped/);
    await c.delete();
    const d = await rt.create({ module: PROBE, config: probe('exit') });
    await d.kill(9);
    expect(await d.wait()).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    await d.delete();
  });

  it('TERM, INT and KILL end init with 128+n, blocked in a read or busy in guest code', async () => {
    const blocked = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    const busy = await rt.run({ module: PROBE, config: probe('spin') });
    const ticking = await rt.run({ module: PROBE, config: probe('tick', '0') });
    await until(() => ticking.init.stdout.text().includes('tick 1'), 20_000, 'ticks');
    await blocked.kill('SIGTERM');
    await busy.kill('SIGKILL');
    await ticking.kill('SIGINT');
    expect(await blocked.wait()).toMatchObject({ exitCode: 143, signal: 'SIGTERM', oomKilled: false });
    expect(await busy.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(await ticking.wait()).toMatchObject({ exitCode: 130, signal: 'SIGINT' });
    for (const c of [blocked, busy, ticking]) await c.delete();
  });

  it('an unknown signal is refused', async () => {
    const c = await rt.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
    await expect(c.kill('SIGNOPE')).rejects.toThrow(/unknown signal/);
    await c.delete({ force: true });
  });
});
