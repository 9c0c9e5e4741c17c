/**
 * The cgroup hierarchy: a child's charges go up to its parent, the parent's
 * limits bind the child, and a removed child gives back what it held once
 * (a late uncharge, such as a task reaped after the container went, is not
 * taken from the parent again).
 */
import { describe, expect, it } from 'vitest';
import { Cgroup } from '../../../kernel/cgroup/cgroup.js';
import type { MemoryController } from '../../../kernel/cgroup/memory.js';
import type { PidsController } from '../../../kernel/cgroup/pids.js';

const MiB = 1 << 20;

describe('cgroup hierarchy', () => {
  it('a parent memory.max kills the child that takes the sum over it; a removed child gives its bytes back once', () => {
    const parent = new Cgroup({ procs: () => [], settings: { 'memory.max': String(8 * MiB) } });
    const a = new Cgroup({ procs: () => [1], parent });
    const b = new Cgroup({ procs: () => [1], parent });
    const mem = (c: Cgroup) => c.controller<MemoryController>('memory')!;
    expect(a.charge('memory', 1, 5 * MiB).kind).toBe('ok');
    expect(b.charge('memory', 1, 5 * MiB).kind).toBe('kill');
    expect(mem(parent).current()).toBe(10 * MiB);
    a.remove();
    expect(mem(parent).current()).toBe(5 * MiB);
    a.detach(1); // late: the task of a removed cgroup is reaped
    expect(mem(parent).current()).toBe(5 * MiB);
    a.remove(); // idempotent
    expect(mem(parent).current()).toBe(5 * MiB);
    expect(b.check().kind).toBe('ok');
  });

  it("a parent's pids.max refuses the child's next task", () => {
    const parent = new Cgroup({ procs: () => [], settings: { 'pids.max': '2' } });
    const a = new Cgroup({ procs: () => [1], parent });
    const b = new Cgroup({ procs: () => [1], parent });
    expect(parent.controller<PidsController>('pids')!.current()).toBe(2);
    expect(a.refusesAttach()).toBe('pids');
    b.remove();
    expect(a.refusesAttach()).toBeNull();
  });
});
