/**
 * The syscall table, as data (gVisor style): one entry per
 * `wasi_snapshot_preview1` import with how complete its support is, its ABI
 * codec (signature, decode, encode: derived from the call's description in
 * kernel/abi/spec.ts) and its handler. Platforms build their
 * import objects from this table; `--strace` and docs read it.
 */
import type { Codec } from '../abi/codec.js';
import { CODECS } from '../abi/derive.js';
import { WASI_PREVIEW1_IMPORTS, type WasiCallName } from '../abi/wasi.js';
import type { SysError } from '../errno.js';
import type { Task } from '../task/task.js';
import * as argsEnv from './args_env.js';
import * as clockRandom from './clock_random.js';
import * as fdDir from './fd_dir.js';
import * as fdIo from './fd_io.js';
import * as fdStat from './fd_stat.js';
import * as pathOps from './path_ops.js';
import * as poll from './poll.js';
import * as proc from './proc.js';
import * as sock from './sock.js';

/** How complete a call's support is. */
export type Support =
  | { readonly level: 'supported' }
  | { readonly level: 'partial'; readonly note: string }
  | { readonly level: 'error'; readonly errno: SysError; readonly note: string };

/** A handler: a function of the task and the decoded arguments. */
export type Handler<A, R> = (task: Task, args: A) => R;

/** One row of the table. */
export interface SyscallEntry<A = any, R = any> {
  readonly name: WasiCallName;
  readonly support: Support;
  readonly codec: Codec<A, R>;
  readonly handler: Handler<A, R>;
  /** Index in the table (for per-call counters and filters). */
  readonly nr: number;
}

const supported: Support = { level: 'supported' };
const partial = (note: string): Support => ({ level: 'partial', note });

const handlers: Record<WasiCallName, Handler<any, any>> = {
  ...argsEnv, ...clockRandom, ...fdDir, ...fdIo, ...fdStat, ...pathOps, ...poll, ...proc, ...sock,
};
const codecs: Record<WasiCallName, Codec<any, any>> = CODECS;

const notes: Partial<Record<WasiCallName, Support>> = {
  fd_advise: partial('advice is validated and otherwise ignored (no page cache)'),
  fd_fdstat_set_flags: partial('APPEND and NONBLOCK change; asking to change DSYNC, RSYNC or SYNC is ENOTSUP (as Linux F_SETFL ignores them)'),
  fd_datasync: partial('in-memory files have nothing to flush; hostfs files are fsync()ed'),
  poll_oneoff: partial('CPU-time clock subscriptions report EINVAL in their event; at most 8,192 subscriptions (EINVAL); nbytes counts bytes buffered in the kernel (for host stdin: what was read from the host so far)'),
  path_open: partial('rights are intersected and narrowed to the file type; TRUNC without PATH_FILESTAT_SET_SIZE is EPERM (wasi-testsuite)'),
  fd_renumber: partial('onto a closed fd EBADF (as wasmtime, wasi-testsuite rust/renumber), except onto a closed 0, 1 or 2: stdio may be moved away and back (yosys), as the wasmtime preview1 adapter allows'),
  proc_raise: partial('default actions only (no handlers in preview1); STOP on the inline platform continues at once, since nothing else could send CONT'),
  sched_yield: partial('no-op on the inline platform'),
  sock_accept: partial('TCP stream sockets of published ports only (preopened listeners, no connect); flags: NONBLOCK'),
  sock_recv: partial('stream sockets: PEEK and WAITALL (WAITALL returns early at the 64 KiB receive window); roflags always 0'),
  sock_send: partial('stream sockets; no siflags exist'),
  sock_shutdown: partial('stream sockets: RD, WR or both; a listener is ENOTCONN'),
  clock_time_get: partial('precision is ignored; CPU-time clocks have 1 µs resolution and count, on the sentry platform, the time the task\'s thread was not asleep waiting for the kernel (host preemption included: Node has no per-thread CPU clock), on the inline platform the whole process'),
};

/** The table: one entry per preview1 import, in witx order. */
export const SYSCALLS: readonly SyscallEntry[] = WASI_PREVIEW1_IMPORTS.map((name, nr) => {
  const codec = codecs[name];
  const handler = handlers[name];
  if (!codec || !handler) throw new Error(`syscall table: ${name} lacks a codec or a handler`);
  return Object.freeze({ name, nr, codec, handler, support: notes[name] ?? supported });
});

/** Table lookup by name. */
export const SYSCALL_BY_NAME: ReadonlyMap<string, SyscallEntry> = new Map(SYSCALLS.map((e) => [e.name, e]));
