/**
 * Issue 9.4: user-namespace mappings apply to bind mounts. With uid/gid
 * 0→100000 ×65536, host owners outside the range show as 65534 and give
 * container root no override; new files get the mapped host owner.
 */
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../../kernel/errno.js';
import { HostFsMount } from '../../kernel/fs/hostfs.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { NodeHostFs } from '../../src/host/node_hostfs.js';
import { FakeHost } from '../support/fake_host.js';
import { expectErr, Fx, ROOT, USER } from '../kernel/vfs/helpers.js';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
// chown to mapped host ids needs root; skipped only outside CI (in CI a non-root run fails, as a missing tool does)
const runsChown = process.getuid?.() === 0 || Boolean(process.env.CI);
let tmp: string;

beforeEach(() => {
  tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-userns-'));
  nfs.chmodSync(tmp, 0o777);
  nfs.writeFileSync(path.join(tmp, 'root_secret'), 'root secret', { mode: 0o600 });
  nfs.writeFileSync(path.join(tmp, 'user_secret'), 'user secret', { mode: 0o600 });
  if (runsChown) nfs.chownSync(path.join(tmp, 'user_secret'), 1000, 1000);
});
afterEach(() => {
  nfs.rmSync(tmp, { recursive: true, force: true });
});

function bind(maps = MAP): Fx {
  const host = new FakeHost({ hostfs: new NodeHostFs() });
  const ns = new MountNamespace(new TmpFs(host));
  ns.mount('/data', new HostFsMount(host.hostfs!, tmp, host, { uidMappings: maps, gidMappings: maps }), { mkdirs: true });
  return new Fx(ns, ROOT);
}

describe.skipIf(!runsChown)('bind mounts under uidMappings 0→100000 ×65536 (issue 9.4)', () => {
  it('container root can neither read nor rewrite a host-root 0600 file (unmapped owner)', () => {
    const fx = bind();
    expect(fx.stat('/data/root_secret').uid).toBe(65534);
    expectErr(() => fx.read('/data/root_secret'), E.ACCES);
    expectErr(() => fx.write('/data/root_secret', 'pwned'), E.ACCES);
    expect(nfs.readFileSync(path.join(tmp, 'root_secret'), 'utf8')).toBe('root secret');
  });

  it('container uid 1000 cannot read or rewrite a host-uid-1000 0600 file', () => {
    const fx = bind().as(USER);
    expectErr(() => fx.read('/data/user_secret'), E.ACCES);
    expectErr(() => fx.write('/data/user_secret', 'pwned'), E.ACCES);
    expect(nfs.readFileSync(path.join(tmp, 'user_secret'), 'utf8')).toBe('user secret');
  });

  it('new files, directories and symlinks get the mapped host owner', () => {
    const fx = bind();
    fx.write('/data/by_root', 'x');
    fx.mkdir('/data/dir_by_root');
    fx.symlink('by_root', '/data/link_by_root');
    fx.as(USER).write('/data/by_user', 'y');
    const own = (n: string) => { const s = nfs.lstatSync(path.join(tmp, n)); return [s.uid, s.gid]; };
    expect(own('by_root')).toEqual([100000, 100000]);
    expect(own('dir_by_root')).toEqual([100000, 100000]);
    expect(own('link_by_root')).toEqual([100000, 100000]);
    expect(own('by_user')).toEqual([101000, 101000]);
    expect(fx.stat('/data/by_user').uid).toBe(1000);
    // and the creator can remove what it made
    fx.as(USER).unlink('/data/by_user');
  });

  it('without mappings, a non-root guest does not create host-root-owned files', () => {
    const fx = bind([]).as(USER);
    fx.write('/data/plain', 'z');
    expect(nfs.statSync(path.join(tmp, 'plain')).uid).toBe(1000);
  });
});
