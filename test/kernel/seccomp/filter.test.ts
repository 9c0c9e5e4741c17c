/**
 * kernel/seccomp: profiles checked, compiled per WASI call, Linux names
 * mapped, argument conditions, precedence, the dispatcher's mask, the
 * default profile, counters and the bounded operator log.
 */
import { describe, expect, it } from 'vitest';
import { WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { Signal } from '../../../kernel/abi/wasi.js';
import { defaultProfile } from '../../../kernel/seccomp/default_profile.js';
import { SeccompFilter, seccompLine } from '../../../kernel/seccomp/filter.js';
import { LINUX_CALLS } from '../../../kernel/seccomp/linux_names.js';
import { LOG_BURST, limitedLog } from '../../../kernel/seccomp/log_limit.js';
import { checkProfile, SeccompProfileError, type SeccompProfile } from '../../../kernel/seccomp/profile.js';
import { SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';
import type { Task } from '../../../kernel/task/task.js';

const decide = SeccompFilter.decide;
const nr = (n: string) => WASI_PREVIEW1_IMPORTS.indexOf(n as never);

describe('checkProfile', () => {
  it('accepts an OCI profile and keeps only the fields it reads', () => {
    const p = checkProfile({
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'], listenerPath: '/x',
      syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ALLOW', comment: 'x', args: [{ index: 0, value: 3, op: 'SCMP_CMP_EQ' }] }],
    });
    expect(p).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, op: 'SCMP_CMP_EQ' }] }],
    });
  });

  it('refuses what it cannot honour with a message naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /JSON object/],
      [{}, /defaultAction: unknown action undefined/],
      [{ defaultAction: 'SCMP_ACT_NOPE' }, /defaultAction: unknown action "SCMP_ACT_NOPE"/],
      [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 9999 }, /defaultErrnoRet: errno 9999 has no WASI equivalent/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }, /syscalls: give a list/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, /syscalls\[0\]\.names/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'KILL' }] }, /syscalls\[0\]\.action: unknown action "KILL"/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 7, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]\.index: a call has at most 6/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]\.value/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }] }, /args\[0\]\.op: unknown operator "EQ"/],
    ];
    for (const [p, re] of bad) expect(() => checkProfile(p)).toThrow(re);
    expect(() => checkProfile(null)).toThrow(SeccompProfileError);
  });
});

describe('compiled profiles', () => {
  it('names a WASI call directly or through the Linux names that map onto it', () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unlinkat', 'openat'], action: 'SCMP_ACT_ERRNO' }] };
    expect(decide(p, 'path_open')).toMatchObject({ kind: 'errno', errno: 'PERM' });
    expect(decide(p, 'path_unlink_file')).toMatchObject({ kind: 'errno' });
    expect(decide(p, 'path_remove_directory')).toMatchObject({ kind: 'errno' });
    expect(decide(p, 'fd_read')).toMatchObject({ kind: 'allow' });
    const w: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['fd_write'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    expect(decide(w, 'fd_write')).toMatchObject({ kind: 'errno', errno: 'ACCES' });
    // a name with no WASI counterpart names nothing
    expect(decide({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount', 'ptrace'], action: 'SCMP_ACT_KILL' }] }, 'path_open').kind).toBe('allow');
  });

  it('every Linux name of the table maps onto real WASI calls', () => {
    for (const [name, c] of LINUX_CALLS) {
      expect(c.wasi.length, name).toBeGreaterThan(0);
      for (const w of c.wasi) expect(SYSCALL_BY_NAME.has(w), `${name} → ${w}`).toBe(true);
    }
  });

  it('an allowlist (default ERRNO) allows what a rule allows and refuses the rest with defaultErrnoRet', () => {
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] };
    expect(decide(p, 'fd_read').kind).toBe('allow');
    expect(decide(p, 'fd_write').kind).toBe('allow');
    expect(decide(p, 'path_open')).toMatchObject({ kind: 'errno', errno: 'NOSYS' });
  });

  it('the most restrictive matching action wins, whatever the rule order', () => {
    for (const order of [0, 1]) {
      const rules = [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' as const },
        { names: ['readv'], action: 'SCMP_ACT_KILL_PROCESS' as const },
      ];
      const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: order === 0 ? rules : rules.reverse() };
      expect(decide(p, 'fd_read')).toMatchObject({ kind: 'kill', action: 'SCMP_ACT_KILL_PROCESS' });
    }
    const p: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['fd_read'], action: 'SCMP_ACT_LOG' }, { names: ['fd_read'], action: 'SCMP_ACT_NOTIFY' }] };
    expect(decide(p, 'fd_read')).toMatchObject({ kind: 'errno', action: 'SCMP_ACT_NOTIFY', errno: 'PERM' });
    expect(decide({ defaultAction: 'SCMP_ACT_TRAP' }, 'fd_read')).toMatchObject({ kind: 'kill', action: 'SCMP_ACT_TRAP' });
    expect(decide({ defaultAction: 'SCMP_ACT_LOG' }, 'fd_read')).toMatchObject({ kind: 'log' });
  });

  it('argument conditions compare WASI fields by witx position, Linux names through their mapped fields', () => {
    const byWasi: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['fd_write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }] };
    expect(decide(byWasi, 'fd_write', { fd: 2, data: new Uint8Array(1) }).kind).toBe('errno');
    expect(decide(byWasi, 'fd_write', { fd: 1, data: new Uint8Array(1) }).kind).toBe('allow');
    // the iovecs' total length is the second argument's value
    const big: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['fd_write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_GT' }] }] };
    expect(decide(big, 'fd_write', { fd: 1, data: new Uint8Array(11) }).kind).toBe('errno');
    expect(decide(big, 'fd_write', { fd: 1, data: new Uint8Array(10) }).kind).toBe('allow');
    const byLinux: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }] };
    expect(decide(byLinux, 'fd_write', { fd: 2 }).kind).toBe('errno');
    expect(decide(byLinux, 'fd_write', { fd: 1 }).kind).toBe('allow');
    // a Linux argument with no WASI meaning (openat's flags) never holds: the rule does not match
    const flags: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0, op: 'SCMP_CMP_GE' }] }] };
    expect(decide(flags, 'path_open', { fd: 3, oflags: 1 }).kind).toBe('allow');
    // a string argument never holds either
    const path: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['path_open'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0, op: 'SCMP_CMP_GE' }] }] };
    expect(decide(path, 'path_open', { fd: 3, path: 'x' }).kind).toBe('allow');
    const masked: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['path_open'], action: 'SCMP_ACT_ERRNO', args: [{ index: 3, value: 1, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    expect(decide(masked, 'path_open', { fd: 3, oflags: 9 }).kind).toBe('errno');
    expect(decide(masked, 'path_open', { fd: 3, oflags: 8 }).kind).toBe('allow');
    // all conditions of a rule must hold
    const both: SeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['fd_pwrite'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 5, op: 'SCMP_CMP_EQ' }, { index: 2, value: 100, op: 'SCMP_CMP_LT' }] }] };
    expect(decide(both, 'fd_pwrite', { fd: 5, offset: 99n }).kind).toBe('errno');
    expect(decide(both, 'fd_pwrite', { fd: 5, offset: 100n }).kind).toBe('allow');
    expect(decide(both, 'fd_pwrite', { fd: 4, offset: 1n }).kind).toBe('allow');
  });

  it('marks only the calls it may refuse: an allowed call never reaches the filter', () => {
    const f = new SeccompFilter({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unlinkat'], action: 'SCMP_ACT_ERRNO' }] });
    const marked = WASI_PREVIEW1_IMPORTS.filter((_, i) => f.calls[i] === 1);
    expect(marked).toEqual(['path_remove_directory', 'path_unlink_file']);
    const def = new SeccompFilter(defaultProfile());
    expect(WASI_PREVIEW1_IMPORTS.filter((_, i) => def.calls[i] === 1)).toEqual(['proc_raise', 'random_get']);
    expect(def.calls[nr('fd_write')]).toBe(0);
    expect(def.calls[nr('fd_read')]).toBe(0);
  });

  it('counts and reports every outcome that is not ALLOW', () => {
    const events: string[] = [];
    const f = new SeccompFilter({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['unlink'], action: 'SCMP_ACT_ERRNO' }, { names: ['mkdirat'], action: 'SCMP_ACT_KILL' }, { names: ['fd_sync'], action: 'SCMP_ACT_LOG' }],
    }, (e) => events.push(seccompLine(e)));
    const task = { pid: 7 } as Task;
    const call = (n: string) => f.filter(task, SYSCALL_BY_NAME.get(n)!, {});
    expect(call('path_unlink_file')).toEqual({ deny: expect.objectContaining({ errnoName: 'PERM' }) });
    expect(call('path_unlink_file')).toBeDefined();
    expect(call('path_create_directory')).toEqual({ kill: Signal.SYS });
    expect(call('fd_sync')).toBeUndefined();
    expect(f.stats()).toEqual({ denied: 2, killed: 1, logged: 1, calls: { path_unlink_file: 2, path_create_directory: 1, fd_sync: 1 } });
    expect(events).toEqual([
      'pid 7: path_unlink_file denied by SCMP_ACT_ERRNO (EPERM)',
      'pid 7: path_unlink_file denied by SCMP_ACT_ERRNO (EPERM)',
      'pid 7: path_create_directory killed the task by SCMP_ACT_KILL',
      'pid 7: fd_sync logged by SCMP_ACT_LOG',
    ]);
  });
});

describe('the default profile', () => {
  it('refuses stop signals and huge random_get, allows everything else', () => {
    const p = defaultProfile();
    for (const sig of [Signal.STOP, Signal.TSTP, Signal.TTIN, Signal.TTOU]) expect(decide(p, 'proc_raise', { sig })).toMatchObject({ kind: 'errno', errno: 'PERM' });
    expect(decide(p, 'proc_raise', { sig: Signal.TERM }).kind).toBe('allow');
    expect(decide(p, 'random_get', { len: 1 << 20 }).kind).toBe('allow');
    expect(decide(p, 'random_get', { len: (1 << 20) + 1 })).toMatchObject({ kind: 'errno', errno: 'INVAL' });
    for (const name of WASI_PREVIEW1_IMPORTS) if (name !== 'proc_raise' && name !== 'random_get') expect(decide(p, name).kind, name).toBe('allow');
    expect(checkProfile(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });
});

describe('the operator log', () => {
  it('passes a burst, then about 10 lines a second, and says how many it dropped', () => {
    let now = 0n;
    const lines: string[] = [];
    const log = limitedLog((l) => lines.push(l), () => now);
    for (let i = 0; i < 1000; i++) log(`l${i}`);
    expect(lines.length).toBe(LOG_BURST);
    now += 1_000_000_000n;
    for (let i = 0; i < 1000; i++) log(`m${i}`);
    expect(lines.length).toBe(LOG_BURST + 10);
    expect(lines[LOG_BURST]).toBe(`m0 (${1000 - LOG_BURST} more seccomp events before this one were not logged; see stats)`);
  });
});
