import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const POLL = join(import.meta.dirname, 'fixtures/poll_stdin.wasm');

/** Run the CLI with a stdin pipe we control; resolves with output and wall time. */
function runWithStdin(feed: (w: NodeJS.WritableStream) => void): Promise<{ out: string; code: number | null; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin/wasmvisor.js'), 'run', POLL], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      child.stdin.destroy();
      resolve({ out, code, ms: Date.now() - t0 });
    });
    feed(child.stdin);
  });
}

describe('poll_oneoff on host stdin (inline platform)', () => {
  it('times out when the pipe stays open and empty, and the process exits at once', async () => {
    const r = await runWithStdin(() => {}); // never written, never closed
    expect(r.out).toBe('poll=0 revents=0\n');
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(5000);
  });

  it('wakes when data arrives before the timeout', async () => {
    const r = await runWithStdin((w) => setTimeout(() => w.write('ab\n'), 50));
    expect(r.out).toBe('poll=1 revents=1\nread 3\n');
  });

  it('sees EOF as readable', async () => {
    const r = await runWithStdin((w) => w.end());
    expect(r.out).toBe('poll=1 revents=8193\nread 0\n'); // POLLIN | POLLHUP, as Linux for a pipe at EOF
  });
});

describe('poll_oneoff on a FIFO stdin', () => {
  it('times out while the writer keeps the pipe open', async () => {
    const t0 = Date.now();
    const out = await new Promise<string>((resolve) => {
      const sh = spawn('sh', ['-c', `sleep 4 | "${process.execPath}" "${join(ROOT, 'bin/wasmvisor.js')}" run "${POLL}"`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      sh.stdout.on('data', (d) => {
        s += d;
        if (s.includes('\n')) resolve(s);
      });
    });
    expect(out).toBe('poll=0 revents=0\n');
    expect(Date.now() - t0).toBeLessThan(3500);
  });
});

describe('TimedStdinReader', () => {
  it('times out on an empty FIFO, reads what arrives, and close() returns its extra descriptor', async () => {
    const { execFileSync } = await import('node:child_process');
    const { closeSync, constants, mkdtempSync, openSync, readdirSync, writeSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { TimedStdinReader } = await import('../../src/host/node_stdin.js');
    const fifo = join(mkdtempSync(join(tmpdir(), 'wv-fifo-')), 'in');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR); // a reader and a writer: never EOF, never blocks on open
    const before = readdirSync('/proc/self/fd').length;
    const r = new TimedStdinReader(fd, () => {
      throw new Error('no direct read expected');
    });
    expect(r.read(10, 5_000_000n)).toBeNull();
    expect(readdirSync('/proc/self/fd').length).toBe(before + 1);
    writeSync(fd, 'hey');
    expect(new TextDecoder().decode(r.read(10, 5_000_000n)!)).toBe('hey');
    r.close();
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    closeSync(fd);
  });
});
