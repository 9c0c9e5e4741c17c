import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

describe('failure isolation', () => {
  it('a trap ends its container with the trap message; a neighbour keeps running', async () => {
    const neighbour = await rt.run({ module: PROBE, config: probe('upper'), stdin: 'pipe' });
    const c = await rt.run({ module: PROBE, config: probe('trap') });
    const r = await c.wait();
    expect(r.exitCode).toBe(134);
    expect(r.oomKilled).toBe(false);
    expect(r.reason).toMatch(/^trap: .*unreachable/);
    await neighbour.init.write('alive\n');
    await until(() => neighbour.init.stdout.text() === 'ALIVE\n', 20_000, 'neighbour echo');
    await c.delete();
    await neighbour.delete({ force: true });
  });

  it('a stack overflow is a trap of its task only', async () => {
    const c = await rt.run({ module: PROBE, config: probe('stack') });
    const r = await c.wait();
    expect(r.exitCode).toBe(134);
    expect(r.reason).toMatch(/trap: .*(stack|out of bounds)/i);
    await c.delete();
  });

  it('an app worker that runs out of JS heap ends its task; the runtime keeps working', async () => {
    const c = await rt.create({ module: PROBE, config: probe('exit', '0') });
    rt.nextFault = 'heap';
    await c.start();
    const r = await c.wait();
    expect(r.exitCode).toBe(137);
    expect(r.reason).toMatch(/JS heap/);
    await c.delete();
    const ok = await rt.run({ module: PROBE, config: probe('exit', '9') });
    expect((await ok.wait()).exitCode).toBe(9);
    await ok.delete();
  }, 60_000);

  it('a module without _start cannot run and says so', async () => {
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const c = await rt.run({ module: bytes });
    const r = await c.wait();
    expect(r.exitCode).toBe(126);
    expect(r.reason).toMatch(/no _start/);
    await c.delete();
  });

  it('a crash of the Sentry ends its containers with a clear status; new containers get a new Sentry', async () => {
    const own = await Runtime.create({ poolSize: 1 });
    try {
      const a = await own.run({ module: PROBE, config: probe('cat'), stdin: 'pipe' });
      const b = await own.run({ module: PROBE, config: probe('spin') });
      await own.crashSentryOf(a);
      const ra = await a.wait();
      expect(ra).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
      expect(ra.reason).toMatch(/Sentry\) stopped: .*injected Sentry fault/);
      expect((await b.wait()).exitCode).toBe(137);
      await expect(a.stats()).rejects.toThrow(/Sentry stopped/);
      await a.delete();
      await b.delete();
      expect(own.list()).toEqual([]);
      const c = await own.run({ module: PROBE, config: probe('exit', '4') });
      expect((await c.wait()).exitCode).toBe(4);
    } finally {
      await own.close();
    }
  });
});
