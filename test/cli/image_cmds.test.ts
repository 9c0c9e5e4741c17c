/**
 * The image, volume and system commands (issue 15 point 4), run as
 * processes against a temp store holding the bundled sample images:
 * version, info, tag/untag, history, the podman groups (image …,
 * container …, system info), system df/prune, volume create/ls/inspect/rm/prune.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
const IMG = 'localhost/wasmvisor/hello:latest';
let store: string;

function wv(...args: string[]) {
  const r = spawnSync(BIN, ['--root', store, ...args], { encoding: 'utf8', input: '', cwd: TOP, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-imgcmd-'));
  expect(wv('load', '-i', join(TOP, 'src/image/samples/hello')).code).toBe(0);
});

describe('version and info', () => {
  it('version prints the package version, as text, json and a template; --version too', () => {
    const pkg = JSON.parse(spawnSync('cat', [join(TOP, 'package.json')], { encoding: 'utf8' }).stdout) as { version: string };
    expect(wv('--version').out.trim()).toBe(pkg.version);
    expect(wv('version').out).toMatch(new RegExp(`^Client: +wasmvisor\\nVersion: +${pkg.version.replace(/\./g, '\\.')}\\n`));
    expect(JSON.parse(wv('version', '--format', 'json').out).Client.Version).toBe(pkg.version);
    expect(wv('version', '--format', '{{.Client.OsArch}}').out).toMatch(/^linux\/\w+\n$/);
    const bad = wv('version', '--format', '{{.Client.Nope}}');
    expect(bad.code).toBe(125);
    expect(bad.err).toContain('Nope');
  });
  it('info names the store, platforms, kernel features and limits; json and templates', () => {
    const j = JSON.parse(wv('info', '--format', 'json').out);
    expect(j.store.graphRoot).toBe(store);
    expect(j.store.imageStore.number).toBe(2);
    expect(j.host.runtimePlatforms).toEqual(['inline', 'sentry']);
    expect(j.host.imagePlatforms).toContain('wasip1/wasm');
    expect(j.host.kernel.syscalls).toBe(46);
    expect(j.host.kernel.cgroupControllers).toContain('memory');
    expect(j.host.limits.nofileDefault).toBe(1024);
    expect(wv('info', '--format', '{{.Store.GraphRoot}} {{.Store.ImageStore.Number}}').out).toBe(`${store} 2\n`);
    expect(wv('system', 'info', '-f', '{{.Store.GraphRoot}}').out).toBe(`${store}\n`);
    expect(wv('info').out).toContain(`graphRoot: ${store}`);
  });
});

describe('tag, untag, history', () => {
  it('tag adds names (normalised); untag NAME removes one; untag IMAGE removes all and keeps the image by digest', () => {
    expect(wv('tag', IMG, 'myhello:v1', 'other/x').code).toBe(0);
    const names = () => JSON.parse(wv('images', '--format', 'json').out).flatMap((r: { Names: string[] }) => r.Names).sort();
    expect(names()).toContain('docker.io/library/myhello:v1');
    expect(names()).toContain('docker.io/other/x:latest');
    expect(wv('untag', IMG, 'other/x').code).toBe(0);
    expect(names()).not.toContain('docker.io/other/x:latest');
    expect(wv('untag', 'myhello:v1').code).toBe(0);
    const left = wv('images', '--format', '{{.Repository}} {{.Tag}}').out;
    expect(left).toContain('docker.io/library/myhello <none>');
    expect(left).not.toContain('hello latest');
    expect(wv('tag', 'nosuch', 'x').code).toBe(125);
    expect(wv('tag', IMG, 'UPPER/bad').code).toBe(125);
    expect(wv('untag', 'localhost/wasmvisor/hello:artifact', 'not/a-name').code).toBe(125);
  });
  it('history lists the steps newest first, with --format json and templates', () => {
    const rows = JSON.parse(wv('history', '--format', 'json', IMG).out) as { id: string; createdBy: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    const t = wv('history', '--format', '{{.ID}}|{{.Size}}', IMG).out.trim().split('\n');
    expect(t[0]).toMatch(/^[0-9a-f]{12}\|/);
    expect(wv('history', IMG).out).toMatch(/^ID +CREATED +CREATED BY +SIZE/);
    expect(wv('image', 'history', '-q', IMG).out.trim().split('\n')[0]).toMatch(/^[0-9a-f]{12}$/);
    expect(wv('history', 'nosuch').code).toBe(125);
  });
});

describe('podman command groups', () => {
  it('image ls / image rm / container ps / container ls map onto the top-level commands, --help included', () => {
    expect(wv('image', 'ls', '--format', '{{.Tag}}').out.split('\n').sort()).toEqual(['', 'artifact', 'latest']);
    expect(wv('image', 'list', '-q').out.trim().split('\n')).toHaveLength(2);
    expect(wv('container', 'ps', '-a').code).toBe(0);
    expect(wv('container', 'ls', '--format', '{{.Names}}').code).toBe(0);
    expect(wv('image', 'ls', '--help').out).toContain('Usage: wasmvisor images');
    const help = wv('image', '--help').out;
    for (const s of ['ls', 'rm', 'tag', 'untag', 'history', 'inspect', 'pull']) expect(help).toMatch(new RegExp(`\\n  ${s} `));
    expect(wv('container', '--help').out).toMatch(/\n {2}logs /);
    expect(wv('image', 'rm', 'localhost/wasmvisor/hello:artifact').code).toBe(0);
    expect(wv('images', '-q').out.trim().split('\n')).toHaveLength(1);
    expect(wv('image', 'nosuch').code).toBe(125);
  });
});

describe('system df and prune', () => {
  it('df counts images and volumes with sizes; json and templates', () => {
    expect(wv('volume', 'create', 'data').code).toBe(0);
    writeFileSync(join(store, 'volumes/data/_data/f'), 'x'.repeat(5000));
    const rows = JSON.parse(wv('system', 'df', '--format', 'json').out) as { Type: string; Total: number; RawSize: number; RawReclaimable: number }[];
    expect(rows.map((r) => r.Type)).toEqual(['Images', 'Containers', 'Local Volumes']);
    expect(rows[0]!.Total).toBe(2);
    expect(rows[0]!.RawSize).toBeGreaterThan(10_000);
    expect(rows[2]).toMatchObject({ Total: 1, RawSize: 5000, RawReclaimable: 5000 });
    expect(wv('system', 'df', '--format', '{{.Type}}={{.Total}}').out).toBe('Images=2\nContainers=0\nLocal Volumes=1\n');
    expect(wv('system', 'df').out).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +2 +0 /);
  });
  it('prune without -f asks and does nothing on no; -f keeps named images; -a --volumes removes them and their blobs', () => {
    expect(wv('volume', 'create', 'data').code).toBe(0);
    const no = spawnSync(BIN, ['--root', store, 'system', 'prune', '-a', '--volumes'], { encoding: 'utf8', input: 'n\n' });
    expect(no.status).toBe(0);
    expect(no.stdout).toContain('Are you sure');
    expect(wv('images', '-q').out.trim().split('\n')).toHaveLength(2);
    expect(wv('system', 'prune', '-f').out).toContain('Total reclaimed space');
    expect(wv('images', '-q').out.trim().split('\n')).toHaveLength(2);
    expect(wv('volume', 'ls', '-q').out).toBe('data\n');
    const all = wv('system', 'prune', '-a', '-f', '--volumes');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/Deleted Volumes\ndata\n/);
    expect(all.out).toMatch(/Deleted Images\n[0-9a-f]{64}\n[0-9a-f]{64}\n/);
    expect(wv('images', '-q').out).toBe('');
    expect(wv('volume', 'ls', '-q').out).toBe('');
    expect(existsSync(join(store, 'content/blobs/sha256'))).toBe(true);
    expect(spawnSync('ls', [join(store, 'content/blobs/sha256')], { encoding: 'utf8' }).stdout).toBe('');
  });
});

describe('volumes', () => {
  it('create, ls (filters, json, templates), inspect, rm (exit 1 when missing), prune', () => {
    expect(wv('volume', 'create', 'v1', '-l', 'team=a').out).toBe('v1\n');
    const dup = wv('volume', 'create', 'v1');
    expect(dup.code).toBe(125);
    expect(dup.err).toContain('already exists');
    expect(wv('volume', 'create', '--ignore', 'v1').code).toBe(0);
    expect(wv('volume', 'create', 'bad/name').code).toBe(125);
    expect(wv('volume', 'create', '-o', 'type=tmpfs', 'v2').code).toBe(125);
    const anon = wv('volume', 'create').out.trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(wv('volume', 'ls').out).toMatch(/^DRIVER +VOLUME NAME\nlocal +[0-9a-f]{64}\nlocal +v1\n$/);
    expect(wv('volume', 'ls', '--filter', 'label=team=a', '-q').out).toBe('v1\n');
    expect(wv('volume', 'ls', '--format', '{{.Name}} {{.Driver}}', '--filter', 'name=v1').out).toBe('v1 local\n');
    expect(JSON.parse(wv('volume', 'ls', '--format', 'json').out)).toHaveLength(2);
    const info = JSON.parse(wv('volume', 'inspect', 'v1').out)[0];
    expect(info).toMatchObject({ Name: 'v1', Driver: 'local', Mountpoint: join(store, 'volumes/v1/_data'), Labels: { team: 'a' }, Scope: 'local' });
    expect(existsSync(info.Mountpoint)).toBe(true);
    expect(wv('volume', 'inspect', '--format', '{{.Labels.team}}', 'v1').out).toBe('a\n');
    expect(wv('volume', 'inspect', 'nope').code).toBe(125);
    const rm = wv('volume', 'rm', 'v1', 'nope');
    expect(rm.code).toBe(1);
    expect(rm.out).toBe('v1\n');
    expect(existsSync(info.Mountpoint)).toBe(false);
    expect(wv('volume', 'prune', '-f').out).toBe(`${anon}\n`);
    expect(wv('volume', 'ls', '-q').out).toBe('');
    expect(wv('volume', 'ls', '--help').out).toContain('--filter');
  });
});
