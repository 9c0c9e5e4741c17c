/**
 * Named volumes in use (issue 15 point 4): `-v NAME:/path` as podman (a
 * name vs a path), `--mount type=bind|volume|tmpfs`, and `volume rm` of a
 * volume a container uses (exit 2; -f removes the container first). Each
 * runs the CLI as a process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const FSEDIT = join(TOP, 'wasm/fsedit.wasm');
let store: string;
let work: string;

function wv(...args: string[]) {
  const r = spawnSync(BIN, ['--root', store, ...args], { encoding: 'utf8', input: '', cwd: work, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-vol-'));
  work = mkdtempSync(join(tmpdir(), 'wv-volcwd-'));
});

describe('-v NAME:/path and --mount', () => {
  it('a name is a volume (created on first use, kept across runs); ./name is a host path', () => {
    expect(wv('run', '-v', 'data:/data', FSEDIT, 'write:/data/x:hello').code).toBe(0);
    expect(readFileSync(join(store, 'volumes/data/_data/x'), 'utf8')).toBe('hello');
    expect(existsSync(join(work, 'data'))).toBe(false);
    expect(wv('run', '-v', 'data:/d:ro', FSEDIT, 'cat:/d/x').out).toBe('hello');
    const ro = wv('run', '-v', 'data:/d:ro', FSEDIT, 'write:/d/y:no');
    expect(ro.code).toBe(1);
    expect(ro.err).toContain('Read-only file system');
    mkdirSync(join(work, 'data'));
    expect(wv('run', '-v', './data:/h', FSEDIT, 'write:/h/z:host').code).toBe(0);
    expect(readFileSync(join(work, 'data/z'), 'utf8')).toBe('host');
    expect(wv('volume', 'ls', '-q').out).toBe('data\n');
  });
  it('--mount type=volume, bind and tmpfs, with readonly and tmpfs-size; bad specs are one line, exit 125', () => {
    expect(wv('run', '--mount', 'type=volume,source=v2,target=/v', FSEDIT, 'write:/v/a:1').code).toBe(0);
    expect(readFileSync(join(store, 'volumes/v2/_data/a'), 'utf8')).toBe('1');
    expect(wv('run', '--mount', 'type=volume,src=v2,dst=/v,readonly', FSEDIT, 'write:/v/b:2').code).toBe(1);
    writeFileSync(join(work, 'f.txt'), 'bound');
    expect(wv('run', '--mount', `type=bind,source=${work},target=/b,ro=true`, FSEDIT, 'cat:/b/f.txt').out).toBe('bound');
    expect(wv('run', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', FSEDIT, 'write:/t/a:x', 'cat:/t/a').out).toBe('x');
    const big = wv('run', '--mount', 'type=tmpfs,target=/t,tmpfs-size=64k', FSEDIT, `write:/t/a:${'y'.repeat(100_000)}`);
    expect(big.code).toBe(1); // the write does not fit: ENOSPC, or a short write fsedit reports
    expect(wv('run', '--mount', 'type=volume,target=/anon', FSEDIT, 'write:/anon/q:1').code).toBe(0);
    expect(wv('volume', 'ls', '-q').out).toMatch(/^[0-9a-f]{64}\nv2\n$/);
    for (const [spec, msg] of [
      ['type=foo,target=/x', 'type=foo is not supported'], ['type=bind,target=/x', 'needs source='], ['source=a,target=/x', 'type= is missing'],
      ['type=volume,source=a', 'target= is missing'], ['type=volume,source=a,target=x', 'absolute'], ['type=tmpfs,target=/x,source=a', 'source is not an option'],
      ['type=volume,source=a/b,target=/x', 'not a volume name'], ['type=bind,source=/tmp,target=/', 'cannot be "/"'], ['type=tmpfs,target=/t,readonly=maybe', 'readonly=maybe'],
    ]) {
      const r = wv('run', '--mount', spec!, FSEDIT);
      expect(r.code, spec).toBe(125);
      expect(r.err, spec).toContain(msg);
      expect(r.err.trim().split('\n'), spec).toHaveLength(1);
    }
    expect(wv('run', '--help').out).toContain('--mount');
  });
});

describe('volume rm of a volume in use', () => {
  it('a kept container holds its volume: rm exits 2; rm -f removes the container, then the volume; prune keeps it while used', () => {
    const id = wv('run', '-d', '-v', 'held:/h', FSEDIT, 'write:/h/x:1').out.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(wv('wait', id).code).toBe(0);
    expect(readFileSync(join(store, 'volumes/held/_data/x'), 'utf8')).toBe('1');
    const rm = wv('volume', 'rm', 'held');
    expect(rm.code).toBe(2);
    expect(rm.err).toContain(id);
    expect(wv('volume', 'prune', '-f').out).toBe('');
    expect(wv('volume', 'ls', '--filter', 'dangling=false', '-q').out).toBe('held\n');
    expect(JSON.parse(wv('system', 'df', '--format', 'json').out)[2]).toMatchObject({ Total: 1, Active: 1 });
    expect(wv('volume', 'rm', '-f', 'held').out).toBe('held\n');
    expect(wv('ps', '-a', '-q').out).toBe('');
    expect(existsSync(join(store, 'volumes/held'))).toBe(false);
  });
});
