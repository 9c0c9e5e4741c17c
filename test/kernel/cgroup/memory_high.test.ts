/**
 * memory.high and memory.stat (kernel/cgroup/memory.ts): allocations above
 * memory.high are parked once each for a penalty growing with the excess,
 * counted in memory.events high; an ancestor's memory.high binds its
 * children (the hierarchy); memory.stat splits linear memory from files.
 */
import { describe, expect, it } from 'vitest';
import { Cgroup } from '../../../kernel/cgroup/cgroup.js';
import type { MemoryController } from '../../../kernel/cgroup/memory.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../../kernel/vfs/types.js';
import { WouldBlock } from '../../../kernel/vfs/wait.js';
import { FakeHost } from '../../support/fake_host.js';
import { Fx } from '../vfs/helpers.js';

const MiB = 1 << 20;

function cgroupWithFs(settings: Record<string, string>, parent?: Cgroup) {
  let now = 1_000_000_000n;
  const cg = new Cgroup({ procs: () => [1], settings, parent });
  const mem = cg.controller<MemoryController>('memory')!;
  mem.clock = () => now;
  const fs = new TmpFs(new FakeHost(), { parentAccount: mem.account });
  const fx = new Fx(new MountNamespace(fs));
  return { cg, mem, fx, advance: (ns: bigint) => { now += ns; }, now: () => now };
}

describe('memory.high', () => {
  it('parks an allocating write above it once for its penalty, then lets it through; counts memory.events high', () => {
    const { mem, fx, advance, now } = cgroupWithFs({ 'memory.high': String(MiB) });
    expect(fx.read === undefined).toBe(false);
    const f = fx.open('/f', OFlags.CREAT, true);
    expect(f.write(new Uint8Array(MiB - 4096))).toBe(MiB - 4096); // under high: no wait
    mem.charge(1, 3 * MiB); // a task's linear memory takes the cgroup 3 MiB over
    let parked: WouldBlock | null = null;
    try {
      f.write(new Uint8Array(65536));
    } catch (e) {
      parked = e as WouldBlock;
    }
    expect(parked).toBeInstanceOf(WouldBlock);
    // 3 MiB and a bit over: 4 ms
    expect(parked!.deadlineNs! - now()).toBe(4_000_000n);
    expect(mem.eventCounts().high).toBe(2); // the linear growth above high, and the parked write
    // retried before the deadline: still parked; at the deadline: through
    expect(() => f.write(new Uint8Array(65536))).toThrow(WouldBlock);
    advance(4_000_000n);
    expect(f.write(new Uint8Array(65536))).toBe(65536);
    // the next allocation above high pays again
    expect(() => f.write(new Uint8Array(65536))).toThrow(WouldBlock);
    // the penalty is capped at 100 ms
    mem.charge(1, 500 * MiB);
    advance(10_000_000_000n);
    f.write(new Uint8Array(1)); // pays the old one
    let p2: WouldBlock | null = null;
    try { f.write(new Uint8Array(65536)); } catch (e) { p2 = e as WouldBlock; }
    expect(p2!.deadlineNs! - now()).toBe(100_000_000n);
    f.release();
  });

  it('nothing is refused at memory.high; max stays max; "max" turns it off', () => {
    const { cg, mem, fx } = cgroupWithFs({ 'memory.high': '4096' });
    mem.clock = null; // without a clock memory.high only counts
    fx.write('/a', new Uint8Array(MiB));
    expect(cg.check().kind).toBe('ok');
    cg.set('memory.high', 'max');
    expect(mem.high).toBeNull();
    expect(mem.account.gate).toBeNull();
  });

  it('a parent\'s memory.high binds its children (tenant/pod over containers)', () => {
    const pod = new Cgroup({ procs: () => [], settings: { 'memory.high': String(MiB) } });
    pod.controller<MemoryController>('memory')!.clock = () => 5n;
    const { mem, fx } = cgroupWithFs({}, pod);
    mem.clock = null; // the child has no clock of its own: the parent's is used
    fx.write('/a', new Uint8Array(MiB / 2));
    mem.charge(1, MiB);
    expect(() => fx.write('/b', new Uint8Array(4096))).toThrow(WouldBlock);
    expect(pod.controller<MemoryController>('memory')!.current()).toBeGreaterThan(MiB);
  });
});

describe('memory.stat', () => {
  it('anon is the linear memories, file (and shmem) the in-memory files', () => {
    const { cg, mem, fx } = cgroupWithFs({});
    mem.charge(1, 2 * MiB);
    fx.write('/f', new Uint8Array(100_000));
    const stat = cg.files().find((f) => f.name === 'memory.stat')!.read();
    const m = /^anon (\d+)\nfile (\d+)\nkernel 0\nshmem (\d+)\n$/.exec(stat)!;
    expect(Number(m[1])).toBe(2 * MiB);
    expect(Number(m[2])).toBeGreaterThanOrEqual(100_000);
    expect(m[3]).toBe(m[2]);
    expect(cg.stats()).toMatchObject({ 'memory.stat.anon': 2 * MiB, 'memory.high': null });
    expect(cg.files().find((f) => f.name === 'memory.high')!.read()).toBe('max\n');
  });
});
