// CPU-time clocks on the sentry platform count the task's own thread: time
// asleep waiting for the kernel is not CPU time, and another container's
// busy loop is not this one's (a process-wide clock would count both).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, probe, requireDist, until } from './helpers.js';

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
    // wait until the idle one is asleep in its read (its syscall count stops moving)
    let last = -1;
    await until(async () => {
      const n = (await idle.stats()).syscalls;
      const still = n > 0 && n === last;
      last = n;
      if (!still) await new Promise((r) => setTimeout(r, 50));
      return still;
    }, 30_000, 'the idle container to block in its read');
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
    expect(i.wall).toBeGreaterThanOrEqual(600);
    expect(i.cpu).toBeLessThan(Math.min(250, i.wall / 3));
  });

  it('CPU time never exceeds the task\'s own wall time', async () => {
    const c = await rt.run({ module: PROBE, config: probe('burn', '200') });
    await c.wait();
    const f = figures(c.init.stdout.text());
    expect(f.cpu).toBeLessThanOrEqual(f.wall + 50);
  });
});
