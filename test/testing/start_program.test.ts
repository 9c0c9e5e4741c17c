/**
 * startProgram: a running container on the Runtime (sentry platform) with
 * files from an object; exec into it, pause/resume, kill, wait, close.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProgram } from '../../src/testing/index.js';

const WASM = join(import.meta.dirname, '../../wasm');

describe('startProgram', () => {
  it('exec into a running program, pause and resume it, kill it', async () => {
    const p = await startProgram(join(WASM, 'ticker.wasm'), { args: ['0', '20'], files: { '/etc/app.conf': 'x=1\n' } });
    try {
      const e = await p.exec(['hello.wasm'], { module: join(WASM, 'hello.wasm') });
      expect(e).toMatchObject({ exitCode: 0, stdout: 'hello from wasmvisor\n' });
      await p.pause();
      expect(p.container.status.state).toBe('paused');
      await p.resume();
      expect(p.container.status.state).toBe('running');
      await p.kill('SIGKILL');
      const r = await p.wait();
      expect(r.exitCode).toBe(137);
      expect(r.signal).toBe('SIGKILL');
      expect(r.stdout).toMatch(/^tick 1\n/);
    } finally {
      await p.close();
    }
  });
});
