/**
 * light_main.ts: the hand parse of the plain command lines containerd's
 * shim runs around every container (start, state, kill, delete), and that
 * anything else goes to the full program (null). The commands' behaviour
 * through this path is lifecycle.test.ts's and containerd.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { parsePlain } from '../../src/cli/runc/light_main.js';

describe('wasmvisor-runc plain command lines', () => {
  it('parses the shim\'s lines: global flags first, then the command', () => {
    expect(parsePlain(['--root', '/r/ns', '--log', '/b/log.json', '--log-format', 'json', 'delete', '--force', 'c1'])).toMatchObject({
      command: 'delete', id: 'c1', force: true, root: '/r/ns', log: '/b/log.json', logFormat: 'json',
    });
    expect(parsePlain(['--root=/r', '--systemd-cgroup', 'kill', 'c1', '9'])).toMatchObject({ command: 'kill', id: 'c1', signal: '9', all: false, root: '/r' });
    expect(parsePlain(['kill', '--all', 'c1'])).toMatchObject({ command: 'kill', id: 'c1', signal: 'SIGTERM', all: true, root: '/run/wasmvisor-runc' });
    expect(parsePlain(['--root', '/r', 'start', 'c1'])).toMatchObject({ command: 'start', id: 'c1', logFormat: 'text' });
    expect(parsePlain(['--root', '/r', 'state', 'c1'])).toMatchObject({ command: 'state', id: 'c1' });
    expect(parsePlain(['delete', 'c1'])).toMatchObject({ command: 'delete', force: false });
    expect(parsePlain(['--root', '/r', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', '--console-socket=/s', 'c1'])).toMatchObject({
      command: 'create', id: 'c1', bundle: '/b', pidFile: '/b/init.pid', consoleSocket: '/s', root: '/r', log: '/b/log.json',
    });
    expect(parsePlain(['create', '-b', 'x', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1'])).toMatchObject({ command: 'create', id: 'c1', bundle: 'x' });
    expect(parsePlain(['create', 'c1'])).toMatchObject({ command: 'create', id: 'c1' });
    // run_main.ts's plain line: create's flags, no --detach
    expect(parsePlain(['--root', '/r', 'run', '--bundle', '/b', '--pid-file', '/p', 'c1'])).toMatchObject({ command: 'run', id: 'c1', bundle: '/b', pidFile: '/p' });
  });

  it('leaves every other line to the full program', () => {
    for (const line of [
      ['state', '--help'], ['state'], ['state', 'a', 'b'], ['start', '-h', 'c1'], ['--debug', 'state', 'c1'], ['kill', '--bogus', 'c1'],
      ['kill', 'c1', '9', 'extra'], ['delete', '--force', 'a', 'b'], ['--log-format', 'xml', 'state', 'c1'], ['--root'], ['list'], ['run', '-d', 'c1'], ['run', '--detach', '--bundle', 'b', 'c1'], [],
      ['--version'], ['--unknown', 'state', 'c1'], ['create', '--help'], ['create'], ['create', 'a', 'b'], ['create', '--bundle'], ['create', '--tty', 'c1'],
    ]) {
      expect(parsePlain(line), line.join(' ')).toBeNull();
    }
  });
});
