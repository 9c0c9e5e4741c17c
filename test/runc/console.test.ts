/**
 * Terminals: runc's --console-socket, as `ctr run -t` and `kubectl exec
 * -it` give it. The master of a pseudo-terminal arrives over a real unix
 * socket with SCM_RIGHTS (fixtures/console_receiver.py, what containerd's
 * shim does), and the container's stdio is its slave: the guest
 * (wasm/readline.wasm, which echoes typed characters only when isatty(0))
 * reads what is typed on the master and writes back through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { TOP, alive, killLeftovers, makeBundle, runc, tempDir, until } from './fixtures/harness.js';

const it = itWithTools('python3');
const work = tempDir('runc-tty-');
const root = join(work, 'state');
const READLINE = join(TOP, 'wasm/readline.wasm');
const children: ChildProcess[] = [];

afterAll(() => {
  killLeftovers(root);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A console socket listening at `path`; `done` resolves with what the receiver read once the terminal closed. */
async function receiver(path: string, inputs: string[]): Promise<{ done: Promise<{ name: string; out: string }> }> {
  const p = spawn('python3', [join(import.meta.dirname, 'fixtures/console_receiver.py'), path, ...inputs], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let out = '';
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const closed = new Promise<number | null>((res) => p.once('close', res));
  await until('the receiver to listen', () => (out.startsWith('listening\n') ? true : undefined));
  return {
    done: closed.then((code) => {
      if (code !== 0) throw new Error(`console receiver exited ${code}: ${err}`);
      return JSON.parse(out.split('\n')[1]!) as { name: string; out: string };
    }),
  };
}

/** A bundle running readline.wasm (and probe.wasm) with `process.terminal` as given. */
function ttyBundle(name: string, args: string[], terminal: boolean): string {
  const b = makeBundle(work, name, args);
  copyFileSync(READLINE, join(b, 'rootfs/readline.wasm'));
  const cfg = join(b, 'config.json');
  const c = JSON.parse(readFileSync(cfg, 'utf8')) as { process: { terminal?: boolean } };
  c.process.terminal = terminal;
  writeFileSync(cfg, JSON.stringify(c));
  return b;
}

describe('wasmvisor-runc --console-socket', () => {
  it('create sends the terminal\'s master over the socket; the guest sees a tty, reads what is typed and writes back', async () => {
    const sock = join(work, 'c1.sock');
    const r = await receiver(sock, ['abc', 'exit']);
    const b = ttyBundle('tty1', ['/readline.wasm'], true);
    const c = await runc(root, ['create', '--console-socket', sock, '--bundle', b, 'tty1'], { quiet: true });
    expect(c.code).toBe(0);
    expect((await runc(root, ['start', 'tty1'])).code).toBe(0);
    const got = await r.done;
    expect(got.name).toMatch(/^\/dev\/pts\/\d+$/);
    // raw terminal: no echo by the line discipline, so "abc" comes back only because the guest's isatty(0) is true
    expect(got.out).toBe('> abc\r\nyou said: abc\n> exit\r\n');
    for (let i = 0; i < 500 && (JSON.parse((await runc(root, ['state', 'tty1'])).stdout) as { status: string }).status !== 'stopped'; i++) {
      await new Promise((res) => setTimeout(res, 20));
    }
    expect((await runc(root, ['delete', 'tty1'])).code).toBe(0);
  });

  it('exec --detach --console-socket gives the exec\'d process a terminal, and the relay ends with it', async () => {
    const b = ttyBundle('tty2', ['/probe.wasm', 'tick', '0'], false);
    expect((await runc(root, ['run', '-d', '--bundle', b, 'tty2'], { quiet: true })).code).toBe(0);
    try {
      const sock = join(work, 'c2.sock');
      const r = await receiver(sock, ['xyz', 'exit']);
      const pidFile = join(work, 'exec.pid');
      const proc = join(work, 'proc.json');
      writeFileSync(proc, JSON.stringify({ args: ['/readline.wasm'], cwd: '/', terminal: true }));
      const e = await runc(root, ['exec', '--detach', '--console-socket', sock, '--pid-file', pidFile, '--process', proc, 'tty2'], { quiet: true });
      expect(e.code).toBe(0);
      const relay = Number(readFileSync(pidFile, 'utf8'));
      const got = await r.done;
      expect(got.out).toBe('> xyz\r\nyou said: xyz\n> exit\r\n');
      await until('the relay to end', () => (alive(relay) ? undefined : true));
    } finally {
      await runc(root, ['delete', '--force', 'tty2']);
    }
  });

  it('a console socket that is not there: one line, exit 1, no state', async () => {
    const b = ttyBundle('tty3', ['/readline.wasm'], true);
    const r = await runc(root, ['create', '--console-socket', join(work, 'none.sock'), '--bundle', b, 'tty3']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('is not a listening unix socket');
    expect(existsSync(join(root, 'tty3'))).toBe(false);
  });
});
