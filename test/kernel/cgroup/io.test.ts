/**
 * The io controller (kernel/cgroup/io.ts): io.stat counts the upper's file
 * reads and writes; io.max parks a call past a rate until the bucket has
 * room (then it goes through); a parent's io.max binds its children; bad
 * io.max text is EINVAL.
 */
import { describe, expect, it } from 'vitest';
import { Cgroup } from '../../../kernel/cgroup/cgroup.js';
import type { IoController } from '../../../kernel/cgroup/io.js';
import { E } from '../../../kernel/errno.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../../kernel/vfs/types.js';
import { WouldBlock } from '../../../kernel/vfs/wait.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';

function setup(settings: Record<string, string> = {}, parent?: Cgroup) {
  let now = 1_000_000_000n;
  const cg = new Cgroup({ procs: () => [1], settings, parent });
  const io = cg.controller<IoController>('io')!;
  io.clock = () => now;
  io.device = '0:42';
  const fs = new TmpFs(new FakeHost());
  fs.io = io;
  const fx = new Fx(new MountNamespace(fs));
  return { cg, io, fx, advance: (ns: bigint) => { now += ns; }, now: () => now };
}

describe('io controller', () => {
  it('io.stat counts reads and writes of the upper\'s files, as Linux prints it', () => {
    const { cg, fx } = setup();
    const file = (n: string) => cg.files().find((f) => f.name === n)!.read();
    expect(file('io.stat')).toBe('');
    expect(file('io.max')).toBe('');
    fx.write('/f', 'hello');
    expect(fx.read('/f')).toBe('hello');
    expect(file('io.stat')).toMatch(/^0:42 rbytes=5 wbytes=5 rios=\d+ wios=1 dbytes=0 dios=0\n$/);
    expect(cg.stats()).toMatchObject({ 'io.rbytes': 5, 'io.wbytes': 5, 'io.wios': 1 });
  });

  it('io.max wbps parks a write past the rate until the bucket has room, then lets it through', () => {
    const { cg, io, fx, advance, now } = setup();
    cg.set('io.max', '0:42 wbps=1000 riops=max');
    expect(cg.files().find((f) => f.name === 'io.max')!.read()).toBe('0:42 rbps=max wbps=1000 riops=max wiops=max\n');
    const f = fx.open('/f', OFlags.CREAT, true);
    expect(f.write(new Uint8Array(800))).toBe(800); // within the second's budget
    let parked: WouldBlock | null = null;
    try { f.write(new Uint8Array(800)); } catch (e) { parked = e as WouldBlock; }
    expect(parked).toBeInstanceOf(WouldBlock);
    expect(parked!.deadlineNs! - now()).toBe(600_000_000n); // 600 bytes over at 1000 B/s
    advance(600_000_000n);
    expect(f.write(new Uint8Array(800))).toBe(800);
    expect(io.throttled).toBe(1);
    expect(io.counts.wbytes).toBe(1600);
    f.release();
  });

  it('a parent\'s io.max binds its children', () => {
    const pod = new Cgroup({ procs: () => [], settings: { 'io.max': '0:1 wiops=2' } });
    pod.controller<IoController>('io')!.clock = () => 7n;
    const { fx } = setup({}, pod);
    fx.write('/a', 'x');
    fx.write('/b', 'x');
    expect(() => fx.write('/c', 'x')).toThrow(WouldBlock);
    expect(pod.controller<IoController>('io')!.counts.wios).toBe(2);
  });

  it('bad io.max text is EINVAL', () => {
    const { cg } = setup();
    for (const t of ['wbps=1', '0:1', '0:1 wbps=x', '0:1 dbps=1', '0:1 wbps=0']) expectErr(() => cg.set('io.max', t), E.INVAL);
  });
});
