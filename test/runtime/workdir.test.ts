/**
 * process.cwd on the sentry platform: init's working directory is made as
 * part of the container's setup, before the root becomes read-only (as runc
 * does, and as the inline platform's runWasm does); its part inside a
 * mount is made in that mount. A later process gets no such help.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, requireDist } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

const roRoot = (cwd: string, ...args: string[]) => ({
  process: { args: ['probe', ...args], cwd },
  root: { readonly: true },
  mounts: [{ destination: '/scratch', type: 'tmpfs', options: [] }],
});

async function runProbe(config: object, createThenStart = false) {
  const c = createThenStart ? await rt.create({ module: PROBE, config }) : await rt.run({ module: PROBE, config });
  if (createThenStart) await c.start();
  const r = await c.wait();
  const out = c.init.stdout.text();
  await c.delete();
  return { exitCode: r.exitCode, out };
}

describe('working directory', () => {
  it('a missing one is made in a read-only root (run), which stays read-only', async () => {
    expect(await runProbe(roRoot('/newdir/sub', 'ls', '/newdir'))).toEqual({ exitCode: 0, out: 'sub\n' });
    const put = await runProbe(roRoot('/newdir', 'put', 'f', 'x'));
    expect(put.exitCode).toBe(1);
    expect(put.out).toMatch(/read-only/i);
  });

  it('a missing one is made in a read-only root (create, then start)', async () => {
    expect(await runProbe(roRoot('/newdir/sub', 'ls', '/newdir'), true)).toEqual({ exitCode: 0, out: 'sub\n' });
  });

  it('its part inside a mount is made in that mount', async () => {
    expect(await runProbe(roRoot('/scratch/a/b', 'put', 'f', 'x'))).toEqual({ exitCode: 0, out: 'ok\n' });
  });

  it('a later process whose missing working directory is in the read-only root is refused with a message', async () => {
    const c = await rt.run({ module: PROBE, config: roRoot('/', 'cat'), stdin: 'pipe' });
    try {
      await expect(c.exec({ process: { args: ['probe', 'exit', '0'], cwd: '/elsewhere' } })).rejects.toThrow(/cannot create \/elsewhere in the container.*ROFS/);
    } finally {
      await c.delete({ force: true });
    }
  });
});
