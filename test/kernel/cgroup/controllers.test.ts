import { describe, expect, it } from 'vitest';
import { Signal } from '../../../kernel/abi/wasi.js';
import { Cgroup } from '../../../kernel/cgroup/cgroup.js';
import { CgroupFs } from '../../../kernel/cgroup/cgroupfs.js';
import type { MemoryController } from '../../../kernel/cgroup/memory.js';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';

/** A cgroup with tasks `pids`, shown under /sys/fs/cgroup of a fresh namespace. */
function mounted(settings: Record<string, string>, pids: number[] = [1, 2], policy: 'enospc' | 'oom-kill' = 'oom-kill') {
  const host = new FakeHost();
  const cg = new Cgroup({ procs: () => pids, settings, policy: { fileLimit: policy } });
  const ns = new MountNamespace(new TmpFs(host));
  const fx = new Fx(ns);
  fx.ops.mkdir(fx.cred, fx.root, '/sys', 0o755);
  fx.ops.mkdir(fx.cred, fx.root, '/sys/fs', 0o755);
  fx.ops.mkdir(fx.cred, fx.root, '/sys/fs/cgroup', 0o755);
  ns.mount('/sys/fs/cgroup', new CgroupFs(cg, host), { readonly: true });
  return { cg, fx, mem: cg.controller<MemoryController>('memory')! };
}

describe('kernel/cgroup controllers', () => {
  it('cgroupfs shows the files byte for byte as before the controller package', () => {
    const { cg, fx, mem } = mounted({ 'memory.max': '33554432', 'pids.max': 'max' });
    mem.account.force(4096);
    expect(fx.ls('/sys/fs/cgroup')).toEqual([
      'cgroup.controllers', 'cgroup.procs', 'cpu.max', 'cpu.stat', 'cpu.weight', 'io.max', 'io.stat', 'memory.current', 'memory.events', 'memory.high', 'memory.max', 'memory.peak', 'memory.stat', 'pids.current', 'pids.max',
    ].sort());
    const r = (f: string) => fx.read(`/sys/fs/cgroup/${f}`);
    expect(r('cgroup.controllers')).toBe('cpu io memory pids\n');
    expect(r('cgroup.procs')).toBe('1\n2\n');
    expect(r('memory.max')).toBe('33554432\n');
    expect(r('memory.current')).toBe('4096\n');
    expect(r('memory.peak')).toBe('4096\n');
    expect(r('memory.events')).toBe('low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    expect(r('pids.max')).toBe('max\n');
    expect(r('pids.current')).toBe('2\n');
    expect(fx.ops.stat(fx.cred, fx.root, '/sys/fs/cgroup/memory.max', true).size).toBe(0n);
    expectErr(() => fx.open('/sys/fs/cgroup/memory.max', 0, true), E.ROFS);
    expect(cg.stats()).toMatchObject({ 'memory.current': 4096, 'memory.max': 33554432, 'pids.current': 2, 'pids.max': null, 'memory.events.oom_kill': 0 });
  });

  it('the memory controller decides the OOM kill once per episode; the verdict carries the status', () => {
    const { cg, mem } = mounted({ 'memory.max': '1000000' });
    expect(cg.charge('memory', 1, 500_000).kind).toBe('ok');
    const v = cg.charge('memory', 1, 2_000_000);
    expect(v).toEqual({ kind: 'kill', status: { code: 0, signal: Signal.KILL, reason: 'OOM-killed: memory.max (1000000 bytes) exceeded' } });
    expect(cg.check().kind).toBe('kill'); // still over: the same decision...
    expect(mem.eventCounts()).toMatchObject({ oom: 1, oom_kill: 1 }); // ...counted once
    cg.detach(1);
    expect(mem.current()).toBe(0);
    expect(cg.check().kind).toBe('ok');
    expect(mem.peak()).toBe(2_000_000);
    expect(cg.charge('memory', 2, 3_000_000).kind).toBe('kill');
    expect(mem.eventCounts().oom_kill).toBe(2);
  });

  it('with the enospc policy, files cannot pass memory.max; with oom-kill they can and the next check kills', () => {
    const a = mounted({ 'memory.max': '1000' }, [1], 'enospc').mem;
    expectErr(() => a.account.charge(1001), E.NOSPC);
    const b = mounted({ 'memory.max': '1000' }, [1], 'oom-kill');
    b.mem.account.charge(1001);
    expect(b.cg.check().kind).toBe('kill');
  });

  it('pids.max refuses one more task; bad or unknown settings are refused', () => {
    const { cg } = mounted({ 'pids.max': '2' });
    expect(cg.refusesAttach()).toBe('pids');
    cg.set('pids.max', '3');
    expect(cg.refusesAttach()).toBeNull();
    expectErr(() => cg.set('pids.max', '-1'), E.INVAL);
    expectErr(() => cg.set('memory.current', '1'), E.ACCES);
    expectErr(() => cg.set('nope.max', '1'), E.NOENT);
  });

  it('a parent cgroup caps its children: charges go up, an ancestor limit binds', () => {
    const pod = new Cgroup({ procs: () => [], settings: { 'memory.max': '1000000', 'pids.max': '2' } });
    const a = new Cgroup({ parent: pod, procs: () => [1] });
    const b = new Cgroup({ parent: pod, procs: () => [7] });
    expect(a.refusesAttach()).toBe('pids'); // 1 in a + 1 in b = the pod's 2
    expect(a.charge('memory', 1, 600_000).kind).toBe('ok');
    const v = b.charge('memory', 7, 600_000);
    expect(v.kind === 'kill' && v.status.reason).toBe('OOM-killed: memory.max (1000000 bytes) exceeded');
    expect(pod.controller<MemoryController>('memory')!.current()).toBe(1_200_000);
    b.detach(7);
    b.remove();
    expect(a.refusesAttach()).toBeNull();
    expect(a.check().kind).toBe('ok');
  });
});
