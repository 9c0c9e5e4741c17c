/**
 * `wasmvisor-runc run` without --detach runs a plain container on its own
 * thread (lifecycle/run_foreground.ts): no sandbox process. What a runc
 * user sees stays: the state root lists it running (with the run
 * process's pid), `kill` ends it with the signal, the pid file names the
 * run process, the config's limits hold, and the directory is gone when
 * it ends by itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, alive, killLeftovers, makeBundle, runc, tempDir, until } from './fixtures/harness.js';

const work = tempDir('runc-fg-');
const root = join(work, 'state');

afterAll(() => { killLeftovers(root); });

describe('wasmvisor-runc run in the foreground', () => {
  it('runs on the run process itself: state shows it running with that pid, kill TERM ends it by the signal, delete clears it', async () => {
    const b = makeBundle(work, 'ticker', ['/probe.wasm', 'tick', '0']);
    const pidFile = join(work, 'ticker.pid');
    const p = spawn(process.execPath, [BIN, '--root', root, 'run', '--pid-file', pidFile, '--bundle', b, 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => p.once('exit', (code, signal) => res({ code, signal })));
    try {
      await until('the first tick', () => (out.includes('tick 1') ? true : undefined));
      const st = JSON.parse((await runc(root, ['state', 'ticker'])).stdout) as { status: string; pid: number };
      expect(st).toMatchObject({ status: 'running', pid: p.pid });
      expect(readFileSync(pidFile, 'utf8')).toBe(String(p.pid));
      // no sandbox process: no control socket beside the state
      expect(existsSync(join(root, 'ticker', 'ctl.sock'))).toBe(false);
      const k = await runc(root, ['kill', 'ticker', 'TERM']);
      expect(k.code, k.stderr).toBe(0);
      expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
      expect(err).toBe('');
      const gone = JSON.parse((await runc(root, ['state', 'ticker'])).stdout) as { status: string; pid: number };
      expect(gone).toMatchObject({ status: 'stopped', pid: 0 });
      expect((await runc(root, ['delete', 'ticker'])).code).toBe(0);
      expect(existsSync(join(root, 'ticker'))).toBe(false);
    } finally {
      if (alive(p.pid!)) p.kill('SIGKILL');
    }
  });

  it('keeps the config\'s memory limit and the exit code, and leaves no state', async () => {
    const b = makeBundle(work, 'grow', ['/probe.wasm', 'grow'], { linux: { resources: { memory: { limit: 24 << 20 } } } });
    const r = await runc(root, ['run', '--bundle', b, 'grow']);
    expect(r.code, r.stderr).toBe(3);
    const blocks = Number(/(\d+)/.exec(r.stdout)?.[1]);
    expect(blocks).toBeGreaterThan(0);
    expect(blocks).toBeLessThan(24);
    expect(existsSync(join(root, 'grow'))).toBe(false);
  });

  it('a bad bundle fails with one line and exit 1, and an id in use is refused', async () => {
    const b = makeBundle(work, 'missing', ['/nothere.wasm']);
    const r = await runc(root, ['run', '--bundle', b, 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/nothere.wasm: no such file');
    expect(existsSync(join(root, 'missing'))).toBe(false);

    const tick = makeBundle(work, 'busy', ['/probe.wasm', 'tick', '0']);
    const d = await runc(root, ['run', '-d', '--bundle', tick, 'busy'], { quiet: true });
    expect(d.code).toBe(0);
    const again = await runc(root, ['run', '--bundle', makeBundle(work, 'hello', ['/hello.wasm']), 'busy']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
    expect((await runc(root, ['delete', '--force', 'busy'])).code).toBe(0);
  });
});
