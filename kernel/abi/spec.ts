/**
 * The one per-call ABI description of `wasi_snapshot_preview1`, as data
 * (wasmtime's wiggle derives its glue from the witx; we derive ours from
 * this table). For each import: its parameters in wasm order with their ABI
 * type and the field of the decoded arguments they become, where each
 * result goes (out-pointers and buffers, by parameter), and the fixed wire
 * layout the call uses on the sentry channel, if any.
 *
 * Read by: the generic codec (derive.ts: signature, decode, encode), the
 * fixed wire layouts (kernel/platform/sentry_wire.ts: which argument word
 * holds which field), the fast paths (sentry_fast.ts, inline_fast.ts: their
 * word indices and out-pointer sizes), and `--strace` (strace.ts: which
 * fields a line shows, in order). Changing a call's ABI is a change here.
 *
 * Data only: no functions, no imports of behaviour.
 */
import type { WasiCallName } from './wasi.js';

/** Out-pointer struct types and their sizes in bytes (wasm32). */
export const STRUCT_SIZE = { u16: 2, u32: 4, u64: 8, fdstat: 24, filestat: 64, prestat: 8 } as const;
/** An out-pointer's struct type. */
export type Struct = keyof typeof STRUCT_SIZE;

/**
 * ABI type of one parameter. Scalars take one wasm param (`u8`/`u16` are
 * i32 masked to their width); `iovs_in` (bytes gathered for the handler),
 * `iovs_out` (the handler's bytes scattered back), `string` (a UTF-8 path)
 * and `buf` (a guest output buffer) take two: pointer and length, the
 * second named `<name>_len`; `out:<struct>` is an out-pointer checked before
 * the handler runs; `ptr` is an unchecked pointer (args_get: checked as it
 * is written, the call has no side effect).
 */
export type AbiType =
  | 'fd' | 'u8' | 'u16' | 'u32' | 'u64' | 's64' | 'ptr'
  | 'iovs_in' | 'iovs_out' | 'string' | 'buf'
  | `out:${Struct}`;

/** One parameter: [witx name, ABI type, field of the decoded args (`_` prefix: ABI-private, hidden from handlers and strace)]. */
export type ParamSpec = readonly [name: string, type: AbiType, field: string];

/**
 * Where a result goes: [parameter, what of the handler's value, encoding].
 * What: `value` (the whole value), `moved` (the byte count the previous
 * buffer result wrote), or a field of the value. Encoding, for a `buf`:
 * `bytes`, `utf8` (cut at the buffer's length) or `dirents`.
 */
export type ResultSpec = readonly [param: string, from: string, as?: 'bytes' | 'utf8' | 'dirents'];

/** An argument word of the fixed wire layout: i32 word `w`, u64 word `q`, i64 word `s`, or a 0/1 flag in i32 word `flag`. */
export type WireSlot = { readonly w: number } | { readonly q: number } | { readonly s: number } | { readonly flag: number };

/** Result layouts of the fixed wire (by result type; the layout of each is in sentry_wire.ts). */
export type WireResult = 'void' | 'u32' | 'u64' | 'bytes' | 'filestat' | 'fdstat';

/** A call's fixed layout on the sentry channel: scalar fields in argument words, at most one field in the data area. */
export interface WireSpec {
  readonly args: Readonly<Record<string, WireSlot>>;
  /** A field carried in the data area: bytes (a view) or a UTF-8 string. */
  readonly data?: readonly [field: string, kind: 'bytes' | 'string'];
  /** A field that sizes the answer (at most the data area), carried in its word. */
  readonly result: WireResult;
}

/** The ABI of one call. */
export interface CallSpec {
  readonly params: readonly ParamSpec[];
  readonly results?: readonly ResultSpec[];
  /** Hand-written decode/encode (poll_oneoff's subscriptions and events; args_get's string table). */
  readonly custom?: 'poll_oneoff' | 'strings';
  /** Never returns (proc_exit). */
  readonly noreturn?: true;
  /** Fields a decoded call has besides its parameters' (set by a platform, never by the codec). */
  readonly extra?: readonly string[];
  readonly wire?: WireSpec;
}

const fd: ParamSpec = ['fd', 'fd', 'fd'];
const w = (i: number): WireSlot => ({ w: i });
const q = (i: number): WireSlot => ({ q: i });
const s = (i: number): WireSlot => ({ s: i });

/** fd_write, fd_pwrite, sock_send: fd in word 0, the bytes in the data area, the count back in word 0. */
const writeWire = (extra: Record<string, WireSlot>): WireSpec => ({ args: { fd: w(0), ...extra }, data: ['data', 'bytes'], result: 'u32' });
/**
 * fd_read, fd_pread: fd in word 0, max in word 1, `noWait` (a later piece of
 * a big read, sentry_fast.ts) in word 4, clear of the u64 words 1–3.
 */
const readWire = (extra: Record<string, WireSlot>): WireSpec => ({ args: { fd: w(0), max: w(1), noWait: { flag: 4 }, ...extra }, result: 'bytes' });
const fdWire = (result: WireResult): WireSpec => ({ args: { fd: w(0) }, result });

const fdOnly: CallSpec = { params: [fd] };
const fdPath: CallSpec = { params: [fd, ['path', 'string', 'path']] };
const strings: CallSpec = { params: [['ptrs', 'ptr', '_ptrs'], ['buf', 'ptr', '_buf']], custom: 'strings' };
const sizes: CallSpec = {
  params: [['count', 'out:u32', '_count'], ['buf_size', 'out:u32', '_size']],
  results: [['count', 'count'], ['buf_size', 'bytes']],
};

/** The description: every preview1 import. */
export const ABI: Readonly<Record<WasiCallName, CallSpec>> = {
  args_get: strings,
  args_sizes_get: sizes,
  environ_get: strings,
  environ_sizes_get: sizes,
  clock_res_get: { params: [['id', 'u32', 'id'], ['resolution', 'out:u64', '_ret']], results: [['resolution', 'value']] },
  clock_time_get: {
    params: [['id', 'u32', 'id'], ['precision', 'u64', 'precision'], ['time', 'out:u64', '_ret']],
    results: [['time', 'value']],
    wire: { args: { id: w(0), precision: q(1) }, result: 'u64' },
  },
  fd_advise: { params: [fd, ['offset', 'u64', 'offset'], ['len', 'u64', 'len'], ['advice', 'u8', 'advice']] },
  fd_allocate: { params: [fd, ['offset', 'u64', 'offset'], ['len', 'u64', 'len']] },
  fd_close: { ...fdOnly, wire: fdWire('void') },
  fd_datasync: fdOnly,
  fd_fdstat_get: { params: [fd, ['stat', 'out:fdstat', '_ret']], results: [['stat', 'value']], wire: fdWire('fdstat') },
  fd_fdstat_set_flags: { params: [fd, ['flags', 'u16', 'flags']] },
  fd_fdstat_set_rights: { params: [fd, ['fs_rights_base', 'u64', 'rightsBase'], ['fs_rights_inheriting', 'u64', 'rightsInheriting']] },
  fd_filestat_get: { params: [fd, ['buf', 'out:filestat', '_ret']], results: [['buf', 'value']], wire: fdWire('filestat') },
  fd_filestat_set_size: { params: [fd, ['size', 'u64', 'size']] },
  fd_filestat_set_times: { params: [fd, ['atim', 'u64', 'atim'], ['mtim', 'u64', 'mtim'], ['fst_flags', 'u16', 'fstflags']] },
  fd_pread: {
    params: [fd, ['iovs', 'iovs_out', 'max'], ['offset', 'u64', 'offset'], ['nread', 'out:u32', '_ret']],
    results: [['iovs', 'value'], ['nread', 'moved']],
    extra: ['noWait'],
    wire: readWire({ offset: q(1) }),
  },
  fd_prestat_get: { params: [fd, ['buf', 'out:prestat', '_ret']], results: [['buf', 'value']] },
  fd_prestat_dir_name: { params: [fd, ['path', 'buf', 'len']], results: [['path', 'value', 'utf8']] },
  fd_pwrite: {
    params: [fd, ['iovs', 'iovs_in', 'data'], ['offset', 'u64', 'offset'], ['nwritten', 'out:u32', '_ret']],
    results: [['nwritten', 'value']],
    wire: writeWire({ offset: q(1) }),
  },
  fd_read: {
    params: [fd, ['iovs', 'iovs_out', 'max'], ['nread', 'out:u32', '_ret']],
    results: [['iovs', 'value'], ['nread', 'moved']],
    extra: ['noWait'],
    wire: readWire({}),
  },
  fd_readdir: {
    params: [fd, ['buf', 'buf', 'bufLen'], ['cookie', 'u64', 'cookie'], ['bufused', 'out:u32', '_ret']],
    results: [['buf', 'value', 'dirents'], ['bufused', 'moved']],
  },
  fd_renumber: { params: [fd, ['to', 'fd', 'to']] },
  fd_seek: {
    params: [fd, ['offset', 's64', 'offset'], ['whence', 'u8', 'whence'], ['newoffset', 'out:u64', '_ret']],
    results: [['newoffset', 'value']],
    wire: { args: { fd: w(0), whence: w(1), offset: s(1) }, result: 'u64' },
  },
  fd_sync: fdOnly,
  fd_tell: { params: [fd, ['offset', 'out:u64', '_ret']], results: [['offset', 'value']], wire: fdWire('u64') },
  fd_write: {
    params: [fd, ['iovs', 'iovs_in', 'data'], ['nwritten', 'out:u32', '_ret']],
    results: [['nwritten', 'value']],
    wire: writeWire({}),
  },
  path_create_directory: fdPath,
  path_filestat_get: {
    params: [fd, ['flags', 'u32', 'flags'], ['path', 'string', 'path'], ['buf', 'out:filestat', '_ret']],
    results: [['buf', 'value']],
    wire: { args: { fd: w(0), flags: w(1) }, data: ['path', 'string'], result: 'filestat' },
  },
  path_filestat_set_times: {
    params: [fd, ['flags', 'u32', 'flags'], ['path', 'string', 'path'], ['atim', 'u64', 'atim'], ['mtim', 'u64', 'mtim'], ['fst_flags', 'u16', 'fstflags']],
  },
  path_link: {
    params: [['old_fd', 'fd', 'oldFd'], ['old_flags', 'u32', 'oldFlags'], ['old_path', 'string', 'oldPath'], ['new_fd', 'fd', 'newFd'], ['new_path', 'string', 'newPath']],
  },
  path_open: {
    params: [
      fd, ['dirflags', 'u32', 'dirflags'], ['path', 'string', 'path'], ['oflags', 'u16', 'oflags'],
      ['fs_rights_base', 'u64', 'rightsBase'], ['fs_rights_inheriting', 'u64', 'rightsInheriting'], ['fdflags', 'u16', 'fdflags'],
      ['opened_fd', 'out:u32', '_ret'],
    ],
    results: [['opened_fd', 'value']],
    wire: {
      args: { fd: w(0), dirflags: w(1), oflags: w(2), fdflags: w(3), rightsBase: q(2), rightsInheriting: q(3) },
      data: ['path', 'string'], result: 'u32',
    },
  },
  path_readlink: {
    params: [fd, ['path', 'string', 'path'], ['buf', 'buf', 'bufLen'], ['bufused', 'out:u32', '_ret']],
    results: [['buf', 'value', 'utf8'], ['bufused', 'moved']],
  },
  path_remove_directory: fdPath,
  path_rename: {
    params: [fd, ['old_path', 'string', 'oldPath'], ['new_fd', 'fd', 'newFd'], ['new_path', 'string', 'newPath']],
  },
  path_symlink: { params: [['old_path', 'string', 'target'], fd, ['new_path', 'string', 'path']] },
  path_unlink_file: fdPath,
  poll_oneoff: {
    params: [['in', 'ptr', '_in'], ['out', 'ptr', '_out'], ['nsubscriptions', 'u32', '_n'], ['nevents', 'out:u32', '_ret']],
    custom: 'poll_oneoff',
    extra: ['subs'],
  },
  proc_exit: { params: [['rval', 'u32', 'code']], noreturn: true },
  proc_raise: { params: [['sig', 'u8', 'sig']] },
  sched_yield: { params: [] },
  random_get: {
    params: [['buf', 'buf', 'len']],
    results: [['buf', 'value', 'bytes']],
    wire: { args: { len: w(0) }, result: 'bytes' },
  },
  sock_accept: { params: [fd, ['flags', 'u16', 'flags'], ['result_fd', 'out:u32', '_ret']], results: [['result_fd', 'value']] },
  sock_recv: {
    params: [fd, ['ri_data', 'iovs_out', 'max'], ['ri_flags', 'u16', 'riflags'], ['ro_datalen', 'out:u32', '_ret'], ['ro_flags', 'out:u16', '_ret2']],
    results: [['ri_data', 'data'], ['ro_datalen', 'moved'], ['ro_flags', 'roflags']],
  },
  sock_send: {
    params: [fd, ['si_data', 'iovs_in', 'data'], ['si_flags', 'u16', 'siflags'], ['so_datalen', 'out:u32', '_ret']],
    results: [['so_datalen', 'value']],
    wire: writeWire({ siflags: w(1) }),
  },
  sock_shutdown: { params: [fd, ['how', 'u8', 'how']] },
};

/** Number of wasm params an ABI type takes. */
export function wasmArity(t: AbiType): 1 | 2 {
  return t === 'iovs_in' || t === 'iovs_out' || t === 'string' || t === 'buf' ? 2 : 1;
}

/** Index of parameter `name` of call `call` among the import's wasm params (its pointer, for a pair). */
export function paramIndex(call: WasiCallName, name: string): number {
  let i = 0;
  for (const [n, t] of ABI[call].params) {
    if (n === name) return i;
    i += wasmArity(t);
  }
  throw new Error(`abi: ${call} has no parameter ${name}`);
}

/** Size in bytes of out-pointer parameter `name` of `call`. */
export function outSize(call: WasiCallName, name: string): number {
  const p = ABI[call].params.find(([n]) => n === name);
  if (p === undefined || !p[1].startsWith('out:')) throw new Error(`abi: ${call}.${name} is not an out-pointer`);
  return STRUCT_SIZE[p[1].slice(4) as Struct];
}

/** The i32 argument word of wire field `field` of `call` (a `w` or `flag` slot). */
export function wireWord(call: WasiCallName, field: string): number {
  const slot = ABI[call].wire?.args[field];
  if (slot !== undefined && 'w' in slot) return slot.w;
  if (slot !== undefined && 'flag' in slot) return slot.flag;
  throw new Error(`abi: ${call}.${field} is not in an i32 wire word`);
}

/** The 64-bit argument word of wire field `field` of `call` (a `q` or `s` slot). */
export function wireQuad(call: WasiCallName, field: string): number {
  const slot = ABI[call].wire?.args[field];
  if (slot !== undefined && 'q' in slot) return slot.q;
  if (slot !== undefined && 's' in slot) return slot.s;
  throw new Error(`abi: ${call}.${field} is not in a 64-bit wire word`);
}

/** The fields a decoded call shows (`--strace`): its public parameter fields in order, then its public extras. */
export function shownFields(call: WasiCallName): readonly string[] {
  const spec = ABI[call];
  return [...spec.params.map((p) => p[2]), ...(spec.extra ?? [])].filter((f) => !f.startsWith('_'));
}
