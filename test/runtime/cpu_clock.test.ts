// CPU-time clocks on the sentry platform count the task's own thread: time
// asleep waiting for the kernel is not CPU time, and another container's
// busy loop is not this one's (a process-wide clock would count both).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, probe, requireDist } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

const figures = (out: string) => {
  const m = /cpu (\d+) wall (\d+)/.exec(out);
  if (!m) throw new Error(`no figures in ${JSON.stringify(out)}`);
  return { cpu: Number(m[1]), wall: Number(m[2]) };
};

describe('CPU clocks on the sentry platform', () => {
  it('a task blocked on stdin while another container computes uses almost no CPU time', async () => {
    const idle = await rt.run({ module: PROBE, config: probe('cputime'), stdin: 'pipe' });
    const busy = await rt.run({ module: PROBE, config: probe('burn', '600') });
    await busy.wait();
    await idle.init.closeStdin();
    await idle.wait();
    const b = figures(busy.init.stdout.text());
    const i = figures(idle.init.stdout.text());
    // the busy one computed for 600 ms of wall time: its CPU clock saw most of it
    expect(b.wall).toBeGreaterThanOrEqual(600);
    expect(b.cpu).toBeGreaterThanOrEqual(300);
    // the idle one was alive all that time, asleep in a read
    expect(i.wall).toBeGreaterThanOrEqual(500);
    expect(i.cpu).toBeLessThan(Math.min(200, i.wall / 2));
  });

  it('CPU time never exceeds the task\'s own wall time', async () => {
    const c = await rt.run({ module: PROBE, config: probe('burn', '200') });
    await c.wait();
    const f = figures(c.init.stdout.text());
    expect(f.cpu).toBeLessThanOrEqual(f.wall + 50);
  });
});
