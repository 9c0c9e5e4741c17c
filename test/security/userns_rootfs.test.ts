/**
 * Issue 9.4, the `--rootfs` part: with uid/gid 0→100000 ×65536, a host
 * directory used as the container's root: container root has no override on them, as in a Linux user namespace:
 * no read of a 0600 file, no write into a 0755 directory, and no copy-up
 * (which reads the file) of one that only "other" may write. Files of the
 * mapped range keep root's override. Runs the sentry platform (the library
 * Runtime): the inline platform has no user namespace.
 */
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { PROBE, requireDist } from '../runtime/helpers.js';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
// chown to mapped host ids needs root; skipped only outside CI (in CI a non-root run fails, as a missing tool does)
const runsChown = process.getuid?.() === 0 || Boolean(process.env.CI);
let tmp: string;
let rt: Runtime;

function put(rel: string, data: string, mode: number, owner = 0): void {
  const p = path.join(tmp, rel);
  nfs.writeFileSync(p, data);
  nfs.chmodSync(p, mode);
  nfs.chownSync(p, owner, owner);
}

beforeAll(async () => {
  if (!runsChown) return;
  requireDist();
  tmp = nfs.mkdtempSync(path.join(os.tmpdir(), 'wasmvisor-userns-rootfs-'));
  nfs.chmodSync(tmp, 0o755);
  nfs.mkdirSync(path.join(tmp, 'etc'), { mode: 0o755 });
  nfs.mkdirSync(path.join(tmp, 'pub'));
  nfs.chmodSync(path.join(tmp, 'pub'), 0o777);
  put('root_secret', 'root secret', 0o600);
  put('root_wo', 'write-only secret', 0o602);
  put('mapped_secret', 'mapped secret', 0o600, 100000);
  rt = await Runtime.create({ poolSize: 1 });
});
afterAll(async () => {
  await rt?.close();
  if (tmp) nfs.rmSync(tmp, { recursive: true, force: true });
});

async function probeAsRoot(...args: string[]): Promise<string> {
  const linux = { namespaces: [{ type: 'user' }, { type: 'mount' }], uidMappings: MAP, gidMappings: MAP };
  const c = await rt.run({ module: PROBE, config: { root: { path: tmp }, linux, process: { args: ['probe', ...args], user: { uid: 0, gid: 0 } } } });
  await c.wait();
  const out = c.init.stdout.text();
  await c.delete();
  return out;
}

describe.skipIf(!runsChown)('--rootfs host directory under uidMappings 0→100000 ×65536 (issue 9.4)', () => {
  it('container root cannot read a host-root 0600 file of the rootfs', async () => {
    expect(await probeAsRoot('show', '/root_secret')).toBe('open: Permission denied\n');
  });

  it('a file of the mapped range keeps root\'s override', async () => {
    expect(await probeAsRoot('show', '/mapped_secret')).toBe('mapped secret');
  });

  it('no copy-up of a host-root file container root may write but not read (copy-up reads it)', async () => {
    expect(await probeAsRoot('put', '/root_wo', 'x')).toBe('Permission denied\n');
    expect(await probeAsRoot('show', '/root_wo')).toBe('open: Permission denied\n');
    expect(nfs.readFileSync(path.join(tmp, 'root_wo'), 'utf8')).toBe('write-only secret');
  });

  it('no new file in a host-root 0755 directory; a 0777 one takes it, in the private upper', async () => {
    expect(await probeAsRoot('put', '/etc/new', 'x')).toBe('Permission denied\n');
    expect(await probeAsRoot('put', '/pub/new', 'x')).toBe('ok\n');
    expect(nfs.existsSync(path.join(tmp, 'pub/new'))).toBe(false);
    // the runtime's own setup still seeds the root (as runc does as host root)
    expect(await probeAsRoot('show', '/etc/hostname')).not.toMatch(/open:/);
  });
});
