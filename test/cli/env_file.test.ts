import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const STDIO_ENV = join(import.meta.dirname, 'fixtures/stdio_env.wasm');

/** Run a bin script as a user's shell does: executed through its shebang, not by a `node` we chose. */
function bin(name: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(join(ROOT, 'bin', name), args, { encoding: 'utf8', input: '', env });
}

describe('--env-file reaches wasmvisor, not Node (Node 20 reads --env-file anywhere in its argv)', () => {
  it('a missing file is one line naming it, exit 125', () => {
    const r = bin('wasmvisor.js', ['run', '--env-file', '/nonexistent/e', STDIO_ENV]);
    expect(r.stderr).toBe('wasmvisor: --env-file /nonexistent/e: no such file\n');
    expect(r.status).toBe(125);
    const r2 = bin('wasmvisor.js', ['run', '--env-file=/nonexistent/e', STDIO_ENV]);
    expect(r2.status).toBe(125);
  });

  it('a directory is refused the same way', () => {
    const r = bin('wasmvisor.js', ['run', '--env-file', tmpdir(), STDIO_ENV]);
    expect(r.stderr).toBe(`wasmvisor: --env-file ${tmpdir()}: is a directory\n`);
    expect(r.status).toBe(125);
  });

  it('KEY=VALUE lines, # comments, KEY alone from the host, -e wins, later files win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-envf-'));
    writeFileSync(join(dir, 'a'), '# a comment\nK1=v1\n\nFROM_HOST\nK2=from-a\nUNSET_ON_HOST\nK3=x=y\n');
    writeFileSync(join(dir, 'b'), 'K2=from-b\nK4=v4\n');
    const r = bin('wasmvisor.js', ['run', '--env-file', join(dir, 'a'), '--env-file', join(dir, 'b'), '-e', 'K4=from-e', STDIO_ENV],
      { ...process.env, FROM_HOST: 'yes', UNSET_ON_HOST: undefined });
    expect(r.stderr).toBe('err\n');
    expect(r.stdout).toBe('env K1=v1\nenv FROM_HOST=yes\nenv K2=from-b\nenv K3=x=y\nenv K4=from-e\n');
    expect(r.status).toBe(0);
  });

  it('wasmvisor-runc is launched the same way: Node never sees its arguments', () => {
    const r = bin('wasmvisor-runc.js', ['--env-file', '/nonexistent/e', '--version']);
    expect(r.stderr).not.toContain('node:');
    expect(r.status).not.toBe(9);
  });
});
