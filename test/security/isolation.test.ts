/**
 * Host isolation, from a hostile C guest (fixtures/abuse.c): bind mounts
 * stay confined whatever symlinks and `..` the guest or the host puts in
 * them, --rootfs is never changed, /proc shows nothing of the host, and
 * closing fds 0-2 closes only the container's stdio: the host process keeps
 * writing to its own stdout afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, lstatSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWasm, type RunWasmOptions } from '../../src/runtime/run_wasm.js';
import { itWithTools } from '../support/tools.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ABUSE = join(FIXTURES, 'abuse.wasm');
const ROOT = join(import.meta.dirname, '../..');

/** The build line of fixtures/abuse.wasm (deterministic: same bytes from any checkout). */
function buildAbuse(outPath: string): void {
  execFileSync('clang', [
    '--target=wasm32-wasi', '-O2', '-Wall', '-Wno-unused-function', `-ffile-prefix-map=${FIXTURES}=.`,
    '-Wl,--strip-all', 'abuse.c', '-o', outPath,
  ], { cwd: FIXTURES, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function abuse(actions: string[], opts: Partial<RunWasmOptions> = {}): Promise<Map<string, string>> {
  const r = await runWasm({ file: ABUSE, args: actions, stdout: 'capture', stderr: 'capture', ...opts });
  expect(r.exitCode, r.stderr).toBe(0);
  const lines = new Map<string, string>();
  for (const l of r.stdout!.split('\n')) {
    const i = l.indexOf(': ');
    if (i > 0) lines.set(l.slice(0, i), l.slice(i + 2));
  }
  return lines;
}

/** Every path under `dir` with its kind, size, mode, mtime and content (or link target). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    const what = st.isSymbolicLink() ? `link ${readlinkSync(p)}` : st.isFile() ? `file ${readFileSync(p, 'hex')}` : 'dir';
    out[rel || '.'] = `${what} mode=${st.mode} mtime=${st.mtimeMs} nlink=${st.nlink}`;
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return out;
}

describe('the abuse fixture', () => {
  itWithTools('clang')('is built from its source', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wv-abuse-')), 'abuse.wasm');
    buildAbuse(out);
    expect(readFileSync(out).equals(readFileSync(ABUSE)), 'rebuild test/security/fixtures/abuse.wasm (see buildAbuse)').toBe(true);
  });
});

describe('bind mounts and --rootfs stay confined', () => {
  it('symlinks (absolute, relative, to /), `..` and renames never reach the host; rootfs and :ro binds are unchanged', async () => {
    const base = mkdtempSync(join(tmpdir(), 'wv-iso-'));
    const rootfs = join(base, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'etc/passwd'), 'container-passwd\n');
    writeFileSync(join(rootfs, 'keep'), 'keep me');
    const secret = join(base, 'secret');
    writeFileSync(secret, 'HOST SECRET');
    const bind = join(base, 'bind');
    mkdirSync(bind);
    writeFileSync(join(bind, 'f'), 'bound');
    symlinkSync('/etc/passwd', join(bind, 'abs')); // host absolute link
    symlinkSync('../secret', join(bind, 'up')); // host link out of the bind
    symlinkSync(secret, join(bind, 'hostpath')); // host absolute link to a real host file
    symlinkSync('/', join(bind, 'root')); // host link to /
    const ro = join(base, 'ro');
    mkdirSync(ro);
    writeFileSync(join(ro, 'f'), 'read only');
    const before = { rootfs: snapshot(rootfs), ro: snapshot(ro), base: readdirSync(base).sort() };
    const r = await abuse([
      'cat:/data/abs', 'cat:/data/up', 'cat:/data/hostpath', 'cat:/data/root/etc/passwd', 'cat:/data/root/keep',
      `cat:/data/..${secret}`, 'cat:/data/../../secret', `cat:${secret}`, 'open:/data/../..',
      'symlink:/../../..:/data/esc', 'cat:/data/esc/secret', 'write:/data/esc/pwned', 'write:/data/up',
      'rename:/data/f:/data/../../moved', 'write:/data/root/etc/passwd',
      'write:/keep', 'unlink:/etc/passwd', 'rename:/keep:/kept', 'write:/etc/new', 'unlink:/etc',
      'write:/ro/f', 'unlink:/ro/f', 'write:/ro/new', 'rename:/ro/f:/ro/g',
    ], { rootfs, mounts: [{ host: bind, container: '/data' }, { host: ro, container: '/ro', readonly: true }] });
    expect(r.get('cat:/data/abs')).toBe('container-passwd|');
    expect(r.get('cat:/data/up')).toMatch(/No such file/); // ../secret from /data is /secret in the container
    expect(r.get('cat:/data/hostpath')).toMatch(/No such file/);
    expect(r.get('cat:/data/root/etc/passwd')).toBe('container-passwd|');
    expect(r.get('cat:/data/root/keep')).toBe('keep me');
    for (const [k, v] of r) expect(v, k).not.toContain('HOST SECRET');
    expect(r.get('write:/data/esc/pwned')).toBe('WROTE'); // /data/esc → / of the container: lands in the private upper
    expect(r.get('write:/ro/f')).toMatch(/Read-only/);
    expect(r.get('unlink:/ro/f')).toMatch(/Read-only/);
    // the host: the rootfs and the :ro bind are byte for byte as before; nothing appeared next to them
    expect(snapshot(rootfs)).toEqual(before.rootfs);
    expect(snapshot(ro)).toEqual(before.ro);
    expect(readFileSync(secret, 'utf8')).toBe('HOST SECRET');
    expect(readdirSync(base).sort()).toEqual(before.base);
    expect(readdirSync(bind).sort()).toEqual(['abs', 'esc', 'f', 'hostpath', 'root', 'up'].sort());
  });
});

describe('/proc shows nothing of the host', () => {
  it('no host paths, no host environment, no host pid', async () => {
    const base = mkdtempSync(join(tmpdir(), 'wv-proc-'));
    process.env.WV_HOST_ONLY_SECRET = 'do-not-leak';
    const r = await abuse([
      'cat:/proc/mounts', 'cat:/proc/self/mounts', 'cat:/proc/self/environ', 'cat:/proc/self/status',
      'cat:/proc/1/cmdline', `open:/proc/${process.pid}/status`, 'cat:/proc/sys/kernel/hostname',
    ], { mounts: [{ host: base, container: '/data' }], rootfs: base, env: { A: 'b' } });
    delete process.env.WV_HOST_ONLY_SECRET;
    const all = [...r.values()].join('\n');
    expect(all).not.toContain(base);
    expect(all).not.toContain(tmpdir());
    expect(all).not.toContain('do-not-leak');
    expect(r.get('cat:/proc/self/environ')).toBe('A=b\\x00');
    expect(r.get('cat:/proc/self/status')).toContain('Pid:\\x091|');
    expect(r.get(`open:/proc/${process.pid}/status`)).toMatch(/No such file/);
    expect(r.get('cat:/proc/mounts')).toContain('hostfs /data hostfs');
    expect(r.get('cat:/proc/sys/kernel/hostname')).toBe('wasmvisor|');
  });
});

describe('stdio', () => {
  it('a guest that closes fds 0-2 leaves the host process its own stdout and stderr', () => {
    const child = join(mkdtempSync(join(tmpdir(), 'wv-stdio-')), 'child.ts');
    writeFileSync(child, `
import { runWasm } from ${JSON.stringify(join(ROOT, 'src/runtime/run_wasm.ts'))};
const r = await runWasm({ file: ${JSON.stringify(ABUSE)}, args: ['closeio', 'cat:/tmp/out', 'open:/dev/stdout'] });
process.stdout.write('host stdout after the guest: exit ' + r.exitCode + '\\n');
process.stderr.write('host stderr after the guest\\n');
`);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/vite-node'), [child], { cwd: ROOT, encoding: 'utf8', input: 'stdin data' });
    expect(r.stderr).toContain('host stderr after the guest');
    expect(r.stdout).toContain('host stdout after the guest: exit 0');
    // the guest's reports went to its own /tmp/out (fd 1 after renumbering), never to the host
    expect(r.stdout).not.toContain('closeio:');
    expect(r.stdout).not.toContain('cat:/tmp/out');
  }, 30_000);

  it('inside the container: writes to closed fds are EBADF and the replacement fd 1 is a file', async () => {
    const r = await runWasm({ file: ABUSE, args: ['closeio', 'cat:/tmp/out'], stdout: 'capture', stderr: 'capture' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });
});

describe('fd limit through a real program', () => {
  it('open() until it fails stops at 1024 fds with EMFILE', async () => {
    const r = await abuse(['fds']);
    expect(r.get('fds')).toBe('1020 opened, then No file descriptors available'); // 1024 - fds 0-2 - the "/" preopen
  });

  it('--ulimit nofile (runWasm fdLimit) lowers it', async () => {
    const r = await abuse(['fds'], { fdLimit: 64 });
    expect(r.get('fds')).toBe('60 opened, then No file descriptors available');
  });
});

describe('--ulimit', () => {
  it('parses nofile=SOFT[:HARD] and refuses what it cannot enforce', async () => {
    const { parseUlimits } = await import('../../src/cli/commands/run.js');
    expect(parseUlimits(['nofile=256'])).toEqual({ nofile: 256 });
    expect(parseUlimits(['nofile=100:200'])).toEqual({ nofile: 100 });
    expect(() => parseUlimits(['nofile=300:200'])).toThrow(/soft limit is above/);
    expect(() => parseUlimits(['nproc=10'])).toThrow(/only nofile/);
    expect(() => parseUlimits(['nofile'])).toThrow(/TYPE=SOFT/);
    await expect(runWasm({ file: ABUSE, fdLimit: 2 })).rejects.toThrow(/from 4/);
  });
});

describe('memory budget (-m)', () => {
  it('caps linear memory and every in-memory filesystem together: ENOSPC, not host memory', async () => {
    const limit = 4 << 20;
    const r = await abuse(['fill:/dev/big', 'unlink:/dev/big', 'fill:/big', 'fill:/tmp/more', 'fill:/scratch/x', 'unlink:/big', 'fill:/tmp/again'], { memoryLimit: limit, tmpfs: ['/scratch'] });
    // writes are cut short at the budget (as on a full tmpfs): a later file may have no room even to be created (0 bytes)
    const bytes = (s: string | undefined) => (s === 'No space left on device' ? 0 : Number(/^(\d+) bytes, then No space left on device$/.exec(s ?? '')?.[1] ?? NaN));
    expect(bytes(r.get('fill:/dev/big'))).toBeLessThanOrEqual(limit); // /dev is a writable tmpfs too
    expect(r.get('unlink:/dev/big')).toBe('REMOVED');
    // the guest's linear memory (a few hundred KiB here) shares the budget
    expect(bytes(r.get('fill:/big'))).toBeGreaterThan(limit - (1 << 20));
    expect(bytes(r.get('fill:/big'))).toBeLessThanOrEqual(limit);
    expect(bytes(r.get('fill:/tmp/more'))).toBeLessThan(256 << 10); // the same budget: nearly nothing left
    expect(bytes(r.get('fill:/scratch/x'))).toBeLessThan(256 << 10);
    expect(r.get('unlink:/big')).toBe('REMOVED');
    expect(bytes(r.get('fill:/tmp/again'))).toBeGreaterThan(limit - (1 << 20)); // freed space comes back
  });

  it('malloc alone stops at the budget (NULL), not host memory', async () => {
    const r = await abuse(['malloc'], { memoryLimit: 4 << 20 });
    expect(Number(/^(\d+) MiB$/.exec(r.get('malloc')!)![1])).toBeLessThan(4);
  });

  it('-m parses sizes as podman does and refuses nonsense', async () => {
    const { parseMemory } = await import('../../src/cli/commands/run.js');
    expect(parseMemory('64m')).toBe(64 << 20);
    expect(parseMemory('1G')).toBe(1 << 30);
    expect(parseMemory('65536')).toBe(65536);
    expect(() => parseMemory('1k')).toThrow(/minimum is 64k/);
    expect(() => parseMemory('lots')).toThrow(/512k, 64m or 1g/);
  });
});

describe('host stdout failures', () => {
  it('a host stdout on a full disk gives the guest ENOSPC, not a kernel bug', () => {
    const child = join(mkdtempSync(join(tmpdir(), 'wv-full-')), 'child.ts');
    writeFileSync(child, `
import { runWasm } from ${JSON.stringify(join(ROOT, 'src/runtime/run_wasm.ts'))};
const r = await runWasm({ file: ${JSON.stringify(ABUSE)}, args: ['open:/', 'exit:7'] });
process.stderr.write('done ' + r.exitCode + '\\n');
`);
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(join(ROOT, 'node_modules/.bin/vite-node'), [child], { cwd: ROOT, encoding: 'utf8', stdio: ['pipe', full, 'pipe'] });
      expect(r.stderr).toContain('done 7');
      expect(r.stderr).not.toContain('kernel bug');
    } finally {
      closeSync(full);
    }
  }, 30_000);

  it('kernel bug reports are terminal-safe', async () => {
    const { terminalSafe } = await import('../../src/host/node_host.js');
    expect(terminalSafe('a\x1b[2J\u009b\u202eb\nc\td')).toBe('a\\u{1b}[2J\\u{9b}\\u{202e}b\nc\td');
    expect(terminalSafe('x'.repeat(10_000)).length).toBe(4099);
  });
});

describe('/dev without -m', () => {
  it('files under /dev are capped at 64 MiB (Docker\'s size=65536k), not host RAM', async () => {
    const r = await abuse(['fill:/dev/big']);
    const m = /^(\d+) bytes, then No space left on device$/.exec(r.get('fill:/dev/big') ?? '');
    expect(m, r.get('fill:/dev/big')).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(64 << 20);
  }, 30_000);
});
