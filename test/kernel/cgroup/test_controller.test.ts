/**
 * Adding a controller is one file plus its registration: this file is the
 * whole of a `test` controller (its control file `test.value`, a limit,
 * charges, a verdict, stats), and the one `registerController` call makes it
 * appear in a container built by the runtime, under /sys/fs/cgroup and in
 * the cgroup's flat stats, with no other file touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Signal } from '../../../kernel/abi/wasi.js';
import { type CgroupContext, type ControlFile, type Controller, formatLimit, OK, parseLimit, type Verdict } from '../../../kernel/cgroup/controller.js';
import { registerController, registeredControllers, unregisterController } from '../../../kernel/cgroup/registry.js';
import { toContainerSpec } from '../../../src/runtime/config.js';
import { buildContainer } from '../../../src/runtime/container_builder.js';
import { FakeHost } from '../../support/fake_host.js';
import { Fx } from '../vfs/helpers.js';

/** The `test` controller: counts units charged, kills past `test.max`. */
class TestController implements Controller {
  readonly name = 'test';
  private value = 0;
  private max: number | null = null;
  constructor(readonly ctx: CgroupContext) {}
  files(): readonly ControlFile[] {
    return [
      { name: 'test.value', read: () => `${this.value}\n` },
      { name: 'test.max', read: () => formatLimit(this.max), write: (t) => { this.max = parseLimit(t); } },
    ];
  }
  charge(_pid: number, amount: number): Verdict {
    this.value += amount;
    if (this.max !== null && this.value > this.max) return { kind: 'kill', status: { code: 0, signal: Signal.KILL, reason: 'test.max exceeded' } };
    return OK;
  }
  stats(): Readonly<Record<string, number | null>> {
    return { value: this.value, max: this.max, tasks: this.ctx.taskCount() };
  }
}

describe('a controller added in one file', () => {
  beforeAll(() => registerController({ name: 'test', create: (ctx) => new TestController(ctx) }));
  afterAll(() => unregisterController('test'));

  it('is visible under /sys/fs/cgroup of a built container and in its stats', () => {
    expect(registeredControllers().map((t) => t.name)).toEqual(['cpu', 'io', 'memory', 'pids', 'test']);
    const built = buildContainer(new FakeHost(), toContainerSpec({ process: { args: ['x'] } }, 64 << 20));
    try {
      const fx = new Fx(built.ns);
      expect(fx.read('/sys/fs/cgroup/cgroup.controllers')).toBe('cpu io memory pids test\n');
      expect(fx.read('/sys/fs/cgroup/test.value')).toBe('0\n');
      expect(fx.read('/sys/fs/cgroup/memory.max')).toBe(`${64 << 20}\n`); // the others as before
      const cg = built.cgroup.cgroup;
      cg.set('test.max', '10');
      expect(cg.charge('test', 1, 4)).toBe(OK);
      expect(fx.read('/sys/fs/cgroup/test.value')).toBe('4\n');
      expect(fx.read('/sys/fs/cgroup/test.max')).toBe('10\n');
      expect(cg.charge('test', 1, 7)).toMatchObject({ kind: 'kill', status: { reason: 'test.max exceeded' } });
      expect(cg.stats()).toMatchObject({ 'test.value': 11, 'test.max': 10, 'test.tasks': 0 });
    } finally {
      built.close();
    }
  });

  it('cannot shadow a registered name', () => {
    expect(() => registerController({ name: 'memory', create: (ctx) => new TestController(ctx) })).toThrow(/registered already/);
  });
});
