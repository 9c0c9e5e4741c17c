/**
 * Fault injection: rules that make chosen system calls fail, come up short
 * or wait, on purpose, to test a program's error paths (`wasmvisor/testing`'s
 * `faults`, `wasmvisor run --inject`). The rules compile into one hook the
 * dispatcher runs after the syscall filter and before the handler; with no
 * rules there is no hook and no cost.
 *
 * A rule matches a call by name (`'*'`: any), fd (`args.fd`) and path: a
 * path call's path resolved against its directory fd (textually, no symlink
 * followed), or the path an fd call's file was opened by. Each matching call
 * counts; `nth` fires on that count only, `probability` on a seeded draw
 * (the same calls fail on every run with the same seed). What it does:
 * `errno` fails the call with it, before the handler (nothing happens);
 * `short` cuts an `fd_write`/`fd_pwrite`/`sock_send` to its first N bytes or an
 * `fd_read`/`fd_pread`/`sock_recv` to N bytes at most; `delayMs` makes the
 * call wait that long first (a WouldBlock with a deadline, so the inline
 * platform sleeps, or advances a virtual clock, and the sentry platform
 * parks it), then run (or fail, with `errno`).
 *
 * An injected call carries `_injected` (what was done) on its args object,
 * which the trace shows. The hook keeps its counters: one hook per run.
 */
import { E, Errno, SysError } from '../errno.js';
import type { Task } from '../task/task.js';
import { WouldBlock } from '../vfs/wait.js';
import type { SyscallEntry } from './table.js';

/** One fault rule (all match fields optional, `call` aside). */
export interface FaultRule {
  /** Syscall name (`path_open`, `fd_write`...) or `'*'` for any. */
  call: string;
  /** Glob on the container path: `*` within one component, `**` across, `?` one character. */
  path?: string;
  /** Only calls on this fd. */
  fd?: number;
  /** Only the nth matching call (1 = the first). */
  nth?: number;
  /** Fire on each matching call with this probability (0..1), drawn from `seed`. */
  probability?: number;
  /** Seed of `probability`'s draws (default 1). */
  seed?: number;
  /** Fail the call with this errno: a name (`'ENOENT'`, `'NOSPC'`) or a number. */
  errno?: string | number;
  /** Cut the call's bytes to at most this many (reads and writes). */
  short?: number;
  /** Make the call wait this long (ms) before it runs. */
  delayMs?: number;
}

/** Why a rule is refused; the message names the rule's field. */
export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

/** The hook the dispatcher runs: true if it answered the call itself (`errno` set in `out`). May throw WouldBlock. */
export type FaultHook = (task: Task, entry: SyscallEntry, args: unknown, out: { errno: number }) => boolean;

/** A SysError from `'ENOENT'`, `'NOENT'` or 44. */
export function errnoByName(v: string | number): SysError {
  const name = typeof v === 'number' ? Object.keys(Errno).find((k) => Errno[k as keyof typeof Errno] === v) : v.toUpperCase().replace(/^E(?=[A-Z2])/, '');
  const e = name !== undefined && name !== 'SUCCESS' ? (E as Record<string, SysError | undefined>)[name] : undefined;
  // 'E2BIG' strips to '2BIG'; a name that is itself E-less ('EXIST' → 'XIST') is retried whole
  const whole = typeof v === 'string' ? (E as Record<string, SysError | undefined>)[v.toUpperCase()] : undefined;
  const found = e ?? whole;
  if (found === undefined) throw new FaultRuleError(`unknown errno ${String(v)}: use a WASI errno name such as ENOENT, EIO or ENOSPC`);
  return found;
}

/** A glob as a RegExp: `**` any characters, `*` any within a component, `?` one. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A small seeded generator (mulberry32): the same draws for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `a/b/../c` joined onto `dir` and normalized textually (`.`, `..`, repeated slashes). */
function joinPath(dir: string, rel: string): string {
  const parts: string[] = [];
  for (const p of (rel.startsWith('/') ? rel : `${dir}/${rel}`).split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** The container path a call concerns: a path argument against its directory fd, else the path the fd's file was opened by. */
export function callPath(task: Task, args: Record<string, unknown>): string | undefined {
  const fd = typeof args.fd === 'number' ? args.fd : typeof args.newFd === 'number' ? args.newFd : undefined;
  const rel = typeof args.path === 'string' ? args.path : typeof args.newPath === 'string' ? args.newPath : undefined;
  const where = fd === undefined ? undefined : task.fds.peek(fd);
  const base = where === undefined ? undefined : where.preopen ?? where.desc.file.describe();
  if (rel !== undefined) return joinPath(base ?? '/', rel);
  return base;
}

const READS = new Set(['fd_read', 'fd_pread', 'sock_recv']);
const WRITES = new Set(['fd_write', 'fd_pwrite', 'sock_send']);

interface Compiled {
  rule: FaultRule;
  path: RegExp | null;
  errno: SysError | null;
  draw: (() => number) | null;
  count: number;
}

/** Check a rule; throws FaultRuleError naming what is wrong. */
function compile(rule: FaultRule): Compiled {
  const where = `fault ${JSON.stringify(rule)}`;
  if (typeof rule.call !== 'string' || rule.call === '') throw new FaultRuleError(`${where}: give the call ('path_open', or '*')`);
  const count = (rule.errno !== undefined ? 1 : 0) + (rule.short !== undefined ? 1 : 0) + (rule.delayMs !== undefined ? 1 : 0);
  if (count === 0) throw new FaultRuleError(`${where}: give what to do: errno, short or delayMs`);
  if (rule.short !== undefined && rule.errno !== undefined) throw new FaultRuleError(`${where}: short and errno cannot both be given`);
  const nonNeg = (v: number | undefined, name: string, int: boolean) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && (!int || Number.isInteger(v)))) throw new FaultRuleError(`${where}: ${name} must be a ${int ? 'non-negative integer' : 'non-negative number'}`);
  };
  nonNeg(rule.short, 'short', true);
  nonNeg(rule.delayMs, 'delayMs', false);
  nonNeg(rule.fd, 'fd', true);
  if (rule.nth !== undefined && !(Number.isInteger(rule.nth) && rule.nth >= 1)) throw new FaultRuleError(`${where}: nth counts from 1`);
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) throw new FaultRuleError(`${where}: probability must be from 0 to 1`);
  if (rule.short !== undefined && rule.call !== '*' && !READS.has(rule.call) && !WRITES.has(rule.call)) {
    throw new FaultRuleError(`${where}: short applies to reads and writes (fd_read, fd_write, fd_pread, fd_pwrite, sock_recv, sock_send)`);
  }
  return {
    rule,
    path: rule.path === undefined ? null : globRegExp(rule.path),
    errno: rule.errno === undefined ? null : errnoByName(rule.errno),
    draw: rule.probability === undefined ? null : seededRandom(rule.seed ?? 1),
    count: 0,
  };
}

/** Check `rules` (throws FaultRuleError) and compile them into the dispatcher's hook; null when there are none. */
export function faultHook(rules: readonly FaultRule[]): FaultHook | null {
  if (rules.length === 0) return null;
  const compiled = rules.map(compile);
  return (task, entry, raw, out) => {
    const args = raw as Record<string, unknown>;
    let path: string | undefined | null = null; // null: not worked out yet
    // a call retried after a rule's delay sees that rule alone (the others counted it already)
    const delayed = args._delayed as Compiled | undefined;
    for (const c of delayed === undefined ? compiled : [delayed]) {
      const r = c.rule;
      if (r.call !== '*' && r.call !== entry.name) continue;
      if (r.fd !== undefined && args.fd !== r.fd) continue;
      if (c.path !== null) {
        if (path === null) path = callPath(task, args);
        if (path === undefined || !c.path.test(path)) continue;
      }
      if (r.short !== undefined && !READS.has(entry.name) && !WRITES.has(entry.name)) continue;
      if (delayed === undefined) {
        c.count++;
        if (r.nth !== undefined && c.count !== r.nth) continue;
        if (c.draw !== null && c.draw() >= r.probability!) continue;
        if (r.delayMs !== undefined && r.delayMs > 0) {
          args._delayed = c;
          args._injected = `delay ${r.delayMs}ms`;
          throw new WouldBlock([], task.host.monotonicNs() + BigInt(Math.round(r.delayMs * 1e6)));
        }
      }
      if (c.errno !== null) {
        const name = `E${c.errno.errnoName}`;
        args._injected = args._injected === undefined ? name : `${String(args._injected)}, ${name}`;
        out.errno = c.errno.errno;
        return true;
      }
      if (r.short !== undefined) {
        if (WRITES.has(entry.name) && args.data instanceof Uint8Array && args.data.length > r.short) args.data = args.data.subarray(0, r.short);
        else if (READS.has(entry.name) && typeof args.max === 'number' && args.max > r.short) args.max = r.short;
        else continue;
        args._injected = `short ${r.short}`;
      }
      return false;
    }
    return false;
  };
}
