/**
 * OCI `linux.seccomp` profiles (runtime-spec config-linux.md#seccomp), as
 * data: their shape, the check that turns untrusted JSON into a profile or
 * one clear error, and Linux errno numbers (`errnoRet`) as WASI errnos.
 * Data and a pure check only: compiling a profile into a filter is
 * filter.ts.
 */
import { Errno, type ErrnoValue } from '../errno.js';

/** The actions a profile may name (libseccomp's spelling). NOTIFY and TRACE act as ERRNO here (no supervisor, no tracer). */
export const ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE',
] as const;
/** One seccomp action. */
export type SeccompAction = (typeof ACTIONS)[number];

/** The comparison operators of `args[].op`. */
export const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
/** One comparison operator. */
export type SeccompOp = (typeof OPS)[number];

/** One argument condition: argument `index` compared with `value` (MASKED_EQ: `(arg & value) == valueTwo`). */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOp;
}

/** One rule: the calls it names, its action, and the conditions that must all hold. */
export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  /** Linux errno number for ERRNO (default EPERM, 1). */
  errnoRet?: number;
  args?: SeccompArg[];
}

/** An OCI seccomp profile (the fields this runtime reads; others are accepted and ignored). */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  /** Linux errno number of a default ERRNO (default EPERM, 1). */
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: SeccompRule[];
}

/** A profile that is not valid: `message` names the field and what to write instead. */
export class SeccompProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeccompProfileError';
  }
}

/** Linux errno numbers (x86-64/arm64 generic) → WASI errno: what `errnoRet` may name. */
export const LINUX_ERRNO: ReadonlyMap<number, ErrnoValue> = new Map<number, ErrnoValue>([
  [1, Errno.PERM], [2, Errno.NOENT], [3, Errno.SRCH], [4, Errno.INTR], [5, Errno.IO], [6, Errno.NXIO],
  [7, Errno['2BIG']], [8, Errno.NOEXEC], [9, Errno.BADF], [10, Errno.CHILD], [11, Errno.AGAIN], [12, Errno.NOMEM],
  [13, Errno.ACCES], [14, Errno.FAULT], [16, Errno.BUSY], [17, Errno.EXIST], [18, Errno.XDEV], [19, Errno.NODEV],
  [20, Errno.NOTDIR], [21, Errno.ISDIR], [22, Errno.INVAL], [23, Errno.NFILE], [24, Errno.MFILE], [25, Errno.NOTTY],
  [26, Errno.TXTBSY], [27, Errno.FBIG], [28, Errno.NOSPC], [29, Errno.SPIPE], [30, Errno.ROFS], [31, Errno.MLINK],
  [32, Errno.PIPE], [33, Errno.DOM], [34, Errno.RANGE], [35, Errno.DEADLK], [36, Errno.NAMETOOLONG], [37, Errno.NOLCK],
  [38, Errno.NOSYS], [39, Errno.NOTEMPTY], [40, Errno.LOOP], [42, Errno.NOMSG], [43, Errno.IDRM], [71, Errno.PROTO],
  [74, Errno.BADMSG], [75, Errno.OVERFLOW], [84, Errno.ILSEQ], [88, Errno.NOTSOCK], [95, Errno.NOTSUP],
  [97, Errno.AFNOSUPPORT], [98, Errno.ADDRINUSE], [99, Errno.ADDRNOTAVAIL], [100, Errno.NETDOWN], [101, Errno.NETUNREACH],
  [103, Errno.CONNABORTED], [104, Errno.CONNRESET], [105, Errno.NOBUFS], [106, Errno.ISCONN], [107, Errno.NOTCONN],
  [110, Errno.TIMEDOUT], [111, Errno.CONNREFUSED], [113, Errno.HOSTUNREACH], [114, Errno.ALREADY], [115, Errno.INPROGRESS],
  [122, Errno.DQUOT], [125, Errno.CANCELED],
]);

const MAX_RULES = 4096;
const MAX_NAMES = 4096;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function action(v: unknown, where: string): SeccompAction {
  if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) {
    throw new SeccompProfileError(`${where}: unknown action ${JSON.stringify(v)} (use one of ${ACTIONS.join(', ')})`);
  }
  return v as SeccompAction;
}

function errnoRet(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !LINUX_ERRNO.has(v)) {
    throw new SeccompProfileError(`${where}: errno ${JSON.stringify(v)} has no WASI equivalent (give a Linux errno number such as 1 for EPERM or 38 for ENOSYS)`);
  }
  return v;
}

function u64(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
    throw new SeccompProfileError(`${where}: give a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function arg(v: unknown, where: string): SeccompArg {
  if (!isObject(v)) throw new SeccompProfileError(`${where}: an argument condition is an object {index, value, op}`);
  const index = u64(v.index, `${where}.index`);
  if (index > 5) throw new SeccompProfileError(`${where}.index: a call has at most 6 arguments (0-5), got ${index}`);
  if (typeof v.op !== 'string' || !(OPS as readonly string[]).includes(v.op)) {
    throw new SeccompProfileError(`${where}.op: unknown operator ${JSON.stringify(v.op)} (use one of ${OPS.join(', ')})`);
  }
  const out: SeccompArg = { index, value: u64(v.value, `${where}.value`), op: v.op as SeccompOp };
  if (v.valueTwo !== undefined) out.valueTwo = u64(v.valueTwo, `${where}.valueTwo`);
  return out;
}

function rule(v: unknown, where: string): SeccompRule {
  if (!isObject(v)) throw new SeccompProfileError(`${where}: a rule is an object {names, action}`);
  const names = v.names ?? (v.name === undefined ? undefined : [v.name]);
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_NAMES || !names.every((n) => typeof n === 'string' && n !== '')) {
    throw new SeccompProfileError(`${where}.names: give a non-empty list of call names`);
  }
  const out: SeccompRule = { names: [...names] as string[], action: action(v.action, `${where}.action`) };
  const e = errnoRet(v.errnoRet, `${where}.errnoRet`);
  if (e !== undefined) out.errnoRet = e;
  if (v.args !== undefined && v.args !== null) {
    if (!Array.isArray(v.args) || v.args.length > 6) throw new SeccompProfileError(`${where}.args: give a list of at most 6 conditions`);
    out.args = v.args.map((a, i) => arg(a, `${where}.args[${i}]`));
  }
  return out;
}

/**
 * Check untrusted JSON as a profile: returns a clean copy (only the fields
 * this runtime reads), or throws SeccompProfileError naming the first bad
 * field. Bounded: at most 4,096 rules of 4,096 names.
 */
export function checkProfile(v: unknown): SeccompProfile {
  if (!isObject(v)) throw new SeccompProfileError('a seccomp profile is a JSON object with a defaultAction');
  const out: SeccompProfile = { defaultAction: action(v.defaultAction, 'defaultAction') };
  const d = errnoRet(v.defaultErrnoRet, 'defaultErrnoRet');
  if (d !== undefined) out.defaultErrnoRet = d;
  for (const k of ['architectures', 'flags'] as const) {
    const a = v[k];
    if (a === undefined || a === null) continue;
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) throw new SeccompProfileError(`${k}: give a list of strings`);
    out[k] = [...a] as string[];
  }
  const calls = v.syscalls;
  if (calls !== undefined && calls !== null) {
    if (!Array.isArray(calls) || calls.length > MAX_RULES) throw new SeccompProfileError(`syscalls: give a list of at most ${MAX_RULES} rules`);
    out.syscalls = calls.map((r, i) => rule(r, `syscalls[${i}]`));
  }
  return out;
}
