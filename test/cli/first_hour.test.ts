/**
 * What a podman user reaches for in the first hour, through the real CLI
 * against a temp store: one assertion per behaviour fixed after trying
 * wasmvisor as podman 4.3 is used (rm's exit codes and -a/-i, stop -a,
 * kill -a, images --filter and -a, rmi's missing-image lines, completion,
 * --network none and --cap-drop).
 * Detached containers run wasm/ticker.wasm and are killed in afterAll if a
 * test left one running. Assertions are soft, so that a regression shows
 * every behaviour it breaks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const TICKER = join(TOP, 'wasm/ticker.wasm');
const HELLO = join(TOP, 'wasm/hello.wasm');

let store: string;
const { wv, ok } = storeCli(() => store);

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'wv-first-hour-'));
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
});

describe('first hour with wasmvisor, as with podman', () => {
  it('rm, stop and kill: podman\'s exit codes, -a and -i', () => {
    ok(['run', '--name', 'done1', HELLO]);
    const running = ok(['run', '-d', '--name', 'tick1', TICKER]).trim();

    // each container on its own: done1 goes, nope is 1 (outranks tick1's 2), one line each
    const mixed = wv(['rm', 'done1', 'nope', 'tick1']);
    expect.soft(mixed.stdout).toBe('done1\n');
    expect.soft(mixed.stderr).toBe('wasmvisor: no such container nope: see wasmvisor ps -a\nwasmvisor: container tick1 is running: stop it first (wasmvisor stop tick1), or rm -f\n');
    expect.soft(mixed.code).toBe(1);
    expect.soft(wv(['rm', 'tick1']).code).toBe(2);
    expect.soft(wv(['rm', '-i', 'nope'])).toMatchObject({ code: 0, stderr: '' });
    expect.soft(wv(['rm'])).toMatchObject({ code: 125, stderr: 'wasmvisor: rm needs at least one container name or id, or --all\n' });

    // stop -a and kill -a take the running ones, and print their ids
    expect.soft(wv(['stop', '-a', '-t', '5'])).toMatchObject({ code: 0, stdout: `${running}\n` });
    expect.soft(wv(['kill', '-a'])).toMatchObject({ code: 0, stdout: '' });

    // rm -a takes every container, stopped ones without -f
    expect.soft(wv(['rm', '-a'])).toMatchObject({ code: 0, stdout: `${running}\n` });
    expect.soft(ok(['ps', '-aq'])).toBe('');
  });

  it('images --filter (dangling, reference with *, id) and -a; tag\'s bad name said once; rmi of a missing image', () => {
    ok(['load', '-i', join(TOP, 'src/image/samples/hello')]);
    ok(['tag', 'localhost/wasmvisor/hello:latest', 'other:1']);
    ok(['untag', 'localhost/wasmvisor/hello:artifact']); // dangling: kept by digest, tag <none>
    const names = (args: string[]) => wv(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args]);
    expect.soft(names(['--filter', 'reference=localhost/*'])).toMatchObject({ code: 0, stdout: 'localhost/wasmvisor/hello:latest\nlocalhost/wasmvisor/hello:<none>\n' });
    expect.soft(names(['-f', 'reference=other', '-f', 'reference=*:latest'])).toMatchObject({ code: 0, stdout: 'docker.io/library/other:1\nlocalhost/wasmvisor/hello:latest\n' });
    expect.soft(names(['-f', 'dangling=true'])).toMatchObject({ code: 0, stdout: 'localhost/wasmvisor/hello:<none>\n' });
    expect.soft(names(['-f', 'dangling=false', '-f', 'reference=localhost/*'])).toMatchObject({ code: 0, stdout: 'localhost/wasmvisor/hello:latest\n' });
    expect.soft(wv(['images', '-q', '-f', 'id=f652'])).toMatchObject({ code: 0, stdout: 'f652f8463a2d\n' });
    expect.soft(wv(['images', '-f', 'bogus=1'])).toMatchObject({ code: 125, stderr: 'wasmvisor: invalid filter "bogus=1": "bogus" is not a filter; use dangling, reference, id (KEY=VALUE)\n' });
    expect.soft(wv(['images', '-a', '-q']).stdout).toBe('90cac7674fb6\nf652f8463a2d\n');
    expect.soft(wv(['tag', 'localhost/wasmvisor/hello', 'Bad:Tag'])).toMatchObject({ code: 125, stderr: 'wasmvisor: invalid image reference "Bad:Tag": repository names must be lowercase ("Bad")\n' });
    // rmi: one line per missing image, no pull hint (there is nothing to pull for a removal)
    expect.soft(wv(['rmi', 'nosuch1', 'nosuch2'])).toMatchObject({ code: 1, stderr: 'wasmvisor: image nosuch1 is not in the store: see wasmvisor images\nwasmvisor: image nosuch2 is not in the store: see wasmvisor images\n' });
  });

  it('--network none and --cap-drop are accepted (a Wasm guest has neither); other modes and --cap-add are 125, leaving nothing', () => {
    expect.soft(wv(['run', '--rm', '--network', 'none', '--cap-drop', 'ALL', HELLO])).toMatchObject({ code: 0, stdout: 'hello from wasmvisor\n', stderr: '' });
    expect.soft(wv(['run', '--rm', '--net=none', HELLO])).toMatchObject({ code: 0, stdout: 'hello from wasmvisor\n' });
    const before = ok(['ps', '-aq']);
    expect.soft(wv(['run', '-d', '--network', 'host', TICKER])).toMatchObject({ code: 125, stderr: 'wasmvisor: unsupported --network host: a Wasm container has no network of its own; only none is accepted (publish a port with -p)\n' });
    expect.soft(wv(['run', '--cap-add', 'NET_ADMIN', HELLO])).toMatchObject({ code: 125, stderr: 'wasmvisor: unsupported --cap-add NET_ADMIN: a Wasm guest has no Linux capabilities to add\n' });
    expect.soft(ok(['ps', '-aq'])).toBe(before);
  });

  it('completion bash completes commands, group subcommands and each command\'s flags; other shells are 125', () => {
    const script = wv(['completion', 'bash']);
    expect.soft(script.code).toBe(0);
    const file = join(store, 'completion.bash');
    writeFileSync(file, script.stdout);
    // COMPREPLY for each command line, the word being completed last
    const lines = [['ru'], ['run', '--env-'], ['--root', '/x', 'ps', '--fo'], ['volume', 'cr'], ['image', 'ls', '--fi'], ['image', 'rm', '--a']];
    const calls = lines.map((ws) => `COMP_WORDS=(wasmvisor ${ws.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${ws.length}; COMPREPLY=(); _wasmvisor; echo "\${COMPREPLY[*]}"`);
    const r = spawnSync('bash', ['-c', `source '${file}'\n${calls.join('\n')}`], { encoding: 'utf8' });
    expect.soft(r.stdout).toBe('run\n--env-file\n--format\ncreate\n--filter\n\n'); // image ls is images; image rm is rmi (no --all)
    expect.soft(wv(['completion', 'zsh'])).toMatchObject({ code: 125, stderr: 'wasmvisor: completion for zsh is not generated: only bash (source <(wasmvisor completion bash))\n' });
  });
});
