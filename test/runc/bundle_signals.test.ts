/**
 * The pure parts of wasmvisor-runc: signal arguments (Linux numbering, not
 * the kernel's WASI one), bundle checks (module inside the root, wasm
 * magic, /dev mounts left to the sandbox kernel), state ids, intervals.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInterval } from '../../src/cli/runc/events.js';
import { loadBundle, sandboxConfig } from '../../src/runtime/detached/bundle.js';
import { parseSignal } from '../../src/runtime/detached/signals.js';
import { DetachedError, checkId } from '../../src/runtime/detached/state.js';
import { HELLO, makeBundle, tempDir } from './fixtures/harness.js';

describe('parseSignal', () => {
  it('takes Linux numbers and names with or without SIG', () => {
    expect(parseSignal('15')).toBe('SIGTERM');
    expect(parseSignal('9')).toBe('SIGKILL');
    expect(parseSignal('TERM')).toBe('SIGTERM');
    expect(parseSignal('sigint')).toBe('SIGINT');
    // Linux numbering, where the kernel's WASI numbering differs (WASI 17 is CONT, 18 STOP)
    expect(parseSignal('17')).toBe('SIGCHLD');
    expect(parseSignal('19')).toBe('SIGSTOP');
    expect(parseSignal('18')).toBe('SIGCONT');
  });

  it('refuses what is no signal, saying which forms work', () => {
    for (const bad of ['0', '99', 'FOO', '', '-1']) {
      expect(() => parseSignal(bad), bad).toThrow(/invalid signal .*give a number \(15\) or a name/);
    }
  });
});

describe('bundles', () => {
  const work = tempDir('runc-bundle-');

  it('drops mounts on /dev and below (the sandbox kernel serves /dev) and keeps the rest', () => {
    const cfg = sandboxConfig({
      mounts: [
        { destination: '/proc', type: 'proc' }, { destination: '/dev', type: 'tmpfs' }, { destination: '/dev/shm', type: 'tmpfs' },
        { destination: '/devices', type: 'tmpfs' }, { destination: '/run', type: 'tmpfs' },
      ],
    }, '/b');
    expect(cfg.mounts!.map((m) => m.destination)).toEqual(['/proc', '/devices', '/run']);
  });

  it('makes namespaces to join (a pod\'s, by path) anew, keeping their types', () => {
    const cfg = sandboxConfig({ linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'ipc', path: '/proc/42/ns/ipc' }] } }, '/b');
    expect(cfg.linux!.namespaces).toEqual([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }]);
  });

  it('a pod sandbox needs no module; any other container does', () => {
    const pod = makeBundle(work, 'pod', ['/pause'], { annotations: { 'io.kubernetes.cri.container-type': 'sandbox' } });
    expect(loadBundle(pod).modulePath).toBeNull();
    const app = makeBundle(work, 'app', ['/pause'], { annotations: { 'io.kubernetes.cri.container-type': 'container' } });
    expect(() => loadBundle(app)).toThrow("/pause: no such file in the container's root");
  });

  it('loads a bundle: absolute paths, the module resolved in the root', () => {
    const b = makeBundle(work, 'ok', ['/hello.wasm']);
    const got = loadBundle(b);
    expect(got).toMatchObject({ dir: b, rootfs: join(b, 'rootfs'), modulePath: join(b, 'rootfs/hello.wasm') });
  });

  it('resolves a relative args[0] against process.cwd', () => {
    const b = makeBundle(work, 'rel', ['hi.wasm'], { process: { args: ['hi.wasm'], cwd: '/bin' } });
    mkdirSync(join(b, 'rootfs/bin'));
    copyFileSync(HELLO, join(b, 'rootfs/bin/hi.wasm'));
    expect(loadBundle(b).modulePath).toBe(join(b, 'rootfs/bin/hi.wasm'));
  });

  it('refuses a module outside the root, a non-wasm file, a missing root and a bad config', () => {
    const esc = makeBundle(work, 'esc', ['/esc.wasm']);
    symlinkSync(HELLO, join(esc, 'rootfs/esc.wasm'));
    expect(() => loadBundle(esc)).toThrow("/esc.wasm: resolves outside the container's root");

    const elf = makeBundle(work, 'elf', ['/pause']);
    writeFileSync(join(elf, 'rootfs/pause'), '\x7fELF\x02\x01\x01');
    expect(() => loadBundle(elf)).toThrow('/pause: not a WebAssembly module');

    const noroot = makeBundle(work, 'noroot', ['/hello.wasm'], { root: { path: 'missing' } });
    expect(() => loadBundle(noroot)).toThrow(/root\.path .*missing is not a directory/);

    const badns = makeBundle(work, 'badns', ['/hello.wasm'], { linux: { namespaces: [{ type: 'time' }] } });
    expect(() => loadBundle(badns)).toThrow(DetachedError);
    expect(() => loadBundle(badns)).toThrow('config.json: unknown namespace type time');

    expect(() => loadBundle(join(work, 'nowhere'))).toThrow(/cannot read .*config\.json.*is --bundle the bundle directory\?/);
  });
});

describe('ids and intervals', () => {
  it('accepts runc ids and refuses paths', () => {
    expect(() => checkId('abc-1.2_x+y')).not.toThrow();
    for (const bad of ['..', '.', 'a/b', '', 'a b']) expect(() => checkId(bad), bad).toThrow(/invalid container id/);
  });

  it('parses durations', () => {
    expect(parseInterval('5s')).toBe(5000);
    expect(parseInterval('250ms')).toBe(250);
    expect(parseInterval('2')).toBe(2000);
    expect(parseInterval('1m')).toBe(60_000);
    expect(() => parseInterval('soon')).toThrow(/invalid --interval/);
    expect(() => parseInterval('0s')).toThrow(/invalid --interval/);
  });
});
