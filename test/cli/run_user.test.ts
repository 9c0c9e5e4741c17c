/**
 * `run IMAGE` starts the process as the image config's User, resolved as
 * podman does through the image's own /etc/passwd and /etc/group; `-u`
 * overrides it; an unknown name is exit 125 with one line. The images are
 * packed here (probe as the entrypoint, an /etc with passwd and group), and
 * the guest reports its ids through /proc/self/status.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostRootReader, resolveUser, withHome } from '../../src/cli/run_user.js';
import { packImage } from '../../src/image/layout/pack.js';
import { openStore } from '../../src/image/content/store_root.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wasmvisor.js');
const PROBE = join(ROOT, 'test/runtime/fixtures/probe.wasm');

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment line',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:100::/home/bob:/bin/sh',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'users:x:100:bob', 'alice:x:1000:', 'staff:x:50:alice', ''].join('\n');

let store = '';
let etcDir = '';

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, '--root', store, ...args], { input: '', encoding: 'utf8', cwd: ROOT });
}

/** "uid gid" from a /proc/self/status dump. */
function ids(status: string): string {
  const uid = /^Uid:\t(\d+)\t/m.exec(status)?.[1];
  const gid = /^Gid:\t(\d+)\t/m.exec(status)?.[1];
  return `${uid} ${gid}`;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  store = mkdtempSync(join(tmpdir(), 'wv-run-user-store-'));
  const src = mkdtempSync(join(tmpdir(), 'wv-run-user-src-'));
  etcDir = join(src, 'etc');
  mkdirSync(etcDir);
  writeFileSync(join(etcDir, 'passwd'), PASSWD);
  writeFileSync(join(etcDir, 'group'), GROUP);
  const s = await openStore(store);
  const image = (tag: string, user: string | undefined) => packImage(s, {
    add: [{ src: PROBE, dest: '/bin/probe.wasm' }, { src: etcDir, dest: '/etc' }],
    entrypoint: ['/bin/probe.wasm'], cmd: ['show', '/proc/self/status'], env: ['PATH=/bin'], user,
    tags: [`localhost/test/user:${tag}`], sourceDateEpoch: 1_700_000_000,
  });
  await image('alice', 'alice');
  await image('staff', 'alice:staff');
  await image('uid', '1001');
  await image('ghost', 'ghost');
  await image('none', undefined);
});

describe('run IMAGE as the image config\'s User', () => {
  it('a name: uid and primary gid from the image\'s /etc/passwd, HOME from it too', () => {
    const r = cli(['run', 'localhost/test/user:alice']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(ids(r.stdout)).toBe('1000 1000');
    const env = cli(['run', 'localhost/test/user:alice', 'show', '/proc/self/environ']);
    expect(env.stdout.split('\0')).toContain('HOME=/home/alice');
  });

  it('name:group takes the group from /etc/group; a lone uid takes its passwd group', () => {
    expect(ids(cli(['run', 'localhost/test/user:staff']).stdout)).toBe('1000 50');
    expect(ids(cli(['run', 'localhost/test/user:uid']).stdout)).toBe('1001 100');
  });

  it('the guest\'s permission checks use that user: alice cannot write the root-owned /etc', () => {
    const r = cli(['run', 'localhost/test/user:alice', 'put', '/etc/x', 'hi']);
    expect(r.stdout).toBe('Permission denied\n');
    expect(r.status).toBe(1);
    expect(cli(['run', '-u', '0', 'localhost/test/user:alice', 'put', '/etc/x', 'hi']).stdout).toBe('ok\n');
  });

  it('without a User the process runs as root', () => {
    expect(ids(cli(['run', 'localhost/test/user:none']).stdout)).toBe('0 0');
  });

  it('an image whose User is unknown in its passwd fails with 125 and one line', () => {
    const r = cli(['run', 'localhost/test/user:ghost']);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(["wasmvisor: unable to find user ghost: no matching entries in the container's /etc/passwd"]);
  });

  it('the image\'s User also applies on the sentry platform', () => {
    const r = cli(['run', '--platform', 'sentry', 'localhost/test/user:staff']);
    expect(r.stderr).toBe('');
    expect(ids(r.stdout)).toBe('1000 50');
  });
});

describe('-u overrides the image\'s User', () => {
  it('names, name:group, uid, uid:gid', () => {
    const img = 'localhost/test/user:alice';
    expect(ids(cli(['run', '-u', 'bob', img]).stdout)).toBe('1001 100');
    expect(ids(cli(['run', '--user', 'bob:staff', img]).stdout)).toBe('1001 50');
    expect(ids(cli(['run', '-u', '4242', img]).stdout)).toBe('4242 0');
    expect(ids(cli(['run', '-u', '7:8', img]).stdout)).toBe('7 8');
  });

  it('an unknown user or group name is exit 125 with one line naming it', () => {
    const u = cli(['run', '-u', 'nosuch', 'localhost/test/user:alice']);
    expect(u.status).toBe(125);
    expect(u.stderr.trim().split('\n')).toEqual(["wasmvisor: unable to find user nosuch: no matching entries in the container's /etc/passwd"]);
    const g = cli(['run', '-u', 'alice:nogroup', 'localhost/test/user:ghost']);
    expect(g.status).toBe(125);
    expect(g.stderr.trim().split('\n')).toEqual(["wasmvisor: unable to find group nogroup: no matching entries in the container's /etc/group"]);
    const bad = cli(['run', '-u', 'a:b:c', 'localhost/test/user:alice']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/^wasmvisor: invalid user "a:b:c"/);
  });

  it('names resolve in a --rootfs directory for a module file', () => {
    const rootfs = join(etcDir, '..');
    chmodSync(rootfs, 0o755); // mkdtemp makes it 0700: alice could not enter the root
    const r = spawnSync(process.execPath, [BIN, 'run', '--rootfs', rootfs, '-u', 'alice', PROBE, 'show', '/proc/self/status'], { input: '', encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(ids(r.stdout)).toBe('1000 1000');
  });
});

describe('resolveUser', () => {
  const read = hostRootReader(join(tmpdir(), 'nonexistent-wv-root'));
  it('a missing passwd file: numeric ids work, names fail', () => {
    expect(resolveUser('12', read)).toEqual({ uid: 12, gid: 0, home: undefined });
    expect(() => resolveUser('root', read)).toThrow(/unable to find user root/);
    expect(() => resolveUser('1:', read)).toThrow(/invalid user/);
    expect(() => resolveUser('4294967296', read)).toThrow(/32-bit/);
  });

  it('HOME is added only when missing', () => {
    expect(withHome(['A=1'], { uid: 1, gid: 1, home: '/h' })).toEqual(['A=1', 'HOME=/h']);
    expect(withHome(['HOME=/x'], { uid: 1, gid: 1, home: '/h' })).toEqual(['HOME=/x']);
    expect(withHome(['A=1'], { uid: 1, gid: 1 })).toEqual(['A=1', 'HOME=/']);
    expect(withHome(['A=1'], undefined)).toEqual(['A=1']);
  });
});
