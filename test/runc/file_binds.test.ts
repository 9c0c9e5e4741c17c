/**
 * The single-file binds of every Kubernetes CRI container spec (/etc/hosts,
 * /etc/hostname, /etc/resolv.conf, `type: bind`, `options: ["rbind","ro"]`):
 * containerd's CRI plugin failed StartContainer on them ("OCI runtime create
 * failed: errno ISDIR") as each mount target was made a directory.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOP, killLeftovers, makeBundle, runc, shimCreate, tempDir, type Shimmed } from './fixtures/harness.js';

const FSUTIL = join(TOP, 'test/cli/fixtures/fsutil.wasm');

let work: string;
let root: string;
const started: Shimmed[] = [];

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/runc/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  work = tempDir('runc-filebinds-');
  root = join(work, 'state');
});

afterAll(() => {
  for (const s of started) s.reaper.stdin?.destroy();
  killLeftovers(root);
  rmSync(work, { recursive: true, force: true });
});

describe('wasmvisor-runc with CRI-style single-file binds', () => {
  it('mounts /etc/hosts, /etc/hostname and /etc/resolv.conf from host files, read-only', async () => {
    // as the CRI plugin keeps them: host files under the sandbox's own directory
    const sandbox = join(work, 'sandbox');
    mkdirSync(sandbox);
    writeFileSync(join(sandbox, 'hosts'), '127.0.0.1 localhost\n10.1.2.3 pod-a\n');
    writeFileSync(join(sandbox, 'hostname'), 'pod-a\n');
    writeFileSync(join(sandbox, 'resolv.conf'), 'search default.svc.cluster.local\nnameserver 10.96.0.10\n');
    const ro = ['rbind', 'ro'];
    const bundle = makeBundle(work, 'cri', ['/fsutil.wasm', '@/etc/hosts', '@/etc/hostname', '@/etc/resolv.conf', '>/etc/hosts=evil'], {
      hostname: 'from-config',
      mounts: [
        { destination: '/etc/hosts', type: 'bind', source: join(sandbox, 'hosts'), options: ro },
        { destination: '/etc/hostname', type: 'bind', source: join(sandbox, 'hostname'), options: ro },
        { destination: '/etc/resolv.conf', type: 'bind', source: join(sandbox, 'resolv.conf'), options: ro },
      ],
    });
    copyFileSync(FSUTIL, join(bundle, 'rootfs/fsutil.wasm'));
    const s = await shimCreate(root, bundle, 'cri');
    started.push(s);
    const st = await runc(root, ['start', 'cri']);
    expect(st.code, st.stderr).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(s.stdoutPath, 'utf8')).toBe(
      '127.0.0.1 localhost\n10.1.2.3 pod-a\npod-a\nsearch default.svc.cluster.local\nnameserver 10.96.0.10\nwrite /etc/hosts: fail\n');
    expect(readFileSync(join(sandbox, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n10.1.2.3 pod-a\n');
  });
  it('a read-write single-file bind (a Kubernetes subPath volume of one file) writes through to the host file', async () => {
    const host = join(work, 'app.conf');
    writeFileSync(host, 'level=info\n');
    const bundle = makeBundle(work, 'rw', ['/fsutil.wasm', '@/etc/app.conf', '>/etc/app.conf=level=debug\n', '@/etc/app.conf'], {
      mounts: [{ destination: '/etc/app.conf', type: 'bind', source: host, options: ['rbind', 'rw'] }],
    });
    copyFileSync(FSUTIL, join(bundle, 'rootfs/fsutil.wasm'));
    const s = await shimCreate(root, bundle, 'rw');
    started.push(s);
    const st = await runc(root, ['start', 'rw']);
    expect(st.code, st.stderr).toBe(0);
    expect(await s.reaped).toEqual({ create: 0, exit: 0, signal: 0 });
    expect(readFileSync(s.stdoutPath, 'utf8')).toBe('level=info\nlevel=debug\n');
    expect(readFileSync(host, 'utf8')).toBe('level=debug\n');
  });
});
