import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerError, Runtime } from '../../src/index.js';
import { limitModuleMemory } from '../../src/runtime/module_limits.js';
import { PROBE, probe, requireDist } from './helpers.js';

let rt: Runtime;
beforeAll(async () => {
  requireDist();
  rt = await Runtime.create({ poolSize: 2 });
});
afterAll(async () => { await rt?.close(); });

const MiB = 1024 * 1024;

function memoryMax(bytes: Uint8Array): number | null {
  const m = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const inst = new WebAssembly.Instance(m, new Proxy({}, { get: () => new Proxy({}, { get: () => () => 0 }) }) as WebAssembly.Imports);
  const mem = inst.exports.memory as WebAssembly.Memory;
  const before = mem.buffer.byteLength;
  let pages = 0;
  try {
    for (;;) { mem.grow(1); pages++; if (pages > 65536) return null; }
  } catch {
    return before + pages * 65536;
  }
}

describe('memory limit', () => {
  it('the rewriter caps the memory maximum and keeps the module valid', () => {
    const out = limitModuleMemory(PROBE, 4 * MiB);
    expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(memoryMax(out)).toBe(4 * MiB);
    expect(() => limitModuleMemory(PROBE, 64 * 1024)).toThrow(/needs 192 KiB of memory at start \(3 pages of 64 KiB\)/);
  });

  it('growth past memory.max fails inside the guest (malloc returns NULL)', async () => {
    const c = await rt.run({ module: PROBE, config: { ...probe('grow'), linux: { resources: { memory: { limit: 8 * MiB } } } } });
    const r = await c.wait();
    expect(r).toEqual({ exitCode: 3, oomKilled: false });
    const n = Number(/allocated (\d+) MiB/.exec(c.init.stdout.text())![1]);
    expect(n).toBeGreaterThan(2);
    expect(n).toBeLessThan(8);
    const st = await c.stats();
    expect(st.memoryMax).toBe(8 * MiB);
    expect(st.memoryPeak).toBeGreaterThan(n * MiB);
    expect(st.memoryPeak).toBeLessThanOrEqual(8 * MiB);
    await c.delete();
  });

  it('a guest that aborts when malloc fails is its own failure, not an OOM kill', async () => {
    const c = await rt.run({ module: PROBE, config: { ...probe('grow-abort'), linux: { resources: { memory: { limit: 8 * MiB } } } } });
    const r = await c.wait();
    expect(r).toMatchObject({ exitCode: 134, oomKilled: false });
    expect(r.reason).toMatch(/trap/);
    expect((await c.stats()).memoryEvents.oom_kill).toBe(0);
    await c.delete();
  });

  it('a container still over memory.max (upper-layer bytes count) is OOM-killed, every task with it', async () => {
    const c = await rt.run({ module: PROBE, config: { ...probe('fill', '16'), linux: { resources: { memory: { limit: 8 * MiB } } } }, stdin: 'null' });
    const r = await c.wait();
    expect(r).toMatchObject({ exitCode: 137, signal: 'SIGKILL', oomKilled: true });
    expect(r.reason).toMatch(/OOM-killed: memory.max \(8388608 bytes\) exceeded/);
    expect(c.init.stdout.text()).not.toContain('wrote');
    const st = await c.stats();
    expect(st.memoryEvents.oom_kill).toBe(1);
    expect(st.memoryPeak).toBeGreaterThan(8 * MiB);
    await c.delete();
    const fits = await rt.run({ module: PROBE, config: { ...probe('fill', '2'), linux: { resources: { memory: { limit: 8 * MiB } } } } });
    expect(await fits.wait()).toEqual({ exitCode: 0, oomKilled: false });
    expect(fits.init.stdout.text()).toBe('wrote\n');
    expect((await fits.stats()).memoryCurrent).toBeGreaterThan(2 * MiB);
    await fits.delete();
  });

  it('a module whose initial memory exceeds the limit cannot run', async () => {
    const err = await rt.create({ module: PROBE, config: { ...probe('exit'), linux: { resources: { memory: { limit: 64 * 1024 } } } } }).catch((e) => e);
    expect(err).toBeInstanceOf(ContainerError);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toMatch(/over the memory limit of 64 KiB/);
  });
});

describe('pids and fd limits', () => {
  it('exec past pids.max fails with EAGAIN', async () => {
    const c = await rt.run({ module: PROBE, config: { ...probe('cat'), linux: { resources: { pids: { limit: 2 } } } }, stdin: 'pipe' });
    const a = await c.exec({ process: { args: ['probe', 'cat'] }, stdin: 'pipe' });
    const err = await c.exec({ process: { args: ['probe', 'exit'] } }).catch((e) => e);
    expect(err).toBeInstanceOf(ContainerError);
    expect(err.code).toBe('EAGAIN');
    expect(err.message).toMatch(/pids\.max \(2\)/);
    expect((await c.stats()).pidsMax).toBe(2);
    await a.closeStdin();
    await a.wait();
    const b = await c.exec({ process: { args: ['probe', 'exit', '5'] } });
    expect((await b.wait()).exitCode).toBe(5);
    await c.delete({ force: true });
  });

  it('RLIMIT_NOFILE caps open fds (EMFILE)', async () => {
    const c = await rt.run({ module: PROBE, config: { process: { args: ['probe', 'fds'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 16, hard: 16 }] } } });
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    const m = /opened (\d+) then (\w+)/.exec(c.init.stdout.text());
    expect(m?.[2]).toBe('EMFILE');
    expect(Number(m![1])).toBe(12); // 16 minus stdio and the / preopen
    await c.delete();
  });
});

describe('config checks', () => {
  it('refuses what it cannot honour, with the reason', async () => {
    await expect(rt.create({ module: PROBE, config: { mounts: [{ destination: '/x', type: 'nfs' }] } })).rejects.toThrow(/type nfs is not supported/);
    await expect(rt.create({ module: PROBE, config: { linux: { namespaces: [{ type: 'pid', path: '/proc/1/ns/pid' }] } } })).rejects.toThrow(/joining an existing pid namespace/);
    await expect(rt.create({ module: PROBE, config: { linux: { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } } })).rejects.toThrow(/need a user namespace/);
    await expect(rt.create({ module: PROBE, config: { process: { cwd: 'rel' } } })).rejects.toThrow(/absolute/);
  });
});
