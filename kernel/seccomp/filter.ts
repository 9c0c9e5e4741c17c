/**
 * A seccomp profile compiled into the dispatcher's filter. Each rule's
 * names become WASI calls (a WASI name as is, a Linux name through
 * linux_names.ts); for each call the profile is reduced once, at build
 * time, to a constant outcome or a short list of conditional rules, so
 * that a call the profile allows unconditionally is never looked at
 * (`calls` is the dispatcher's mask: only marked calls reach `filter`).
 *
 * When several rules match one call, the most restrictive action wins, as
 * when Linux stacks filters: KILL_PROCESS > KILL_THREAD (KILL) > TRAP >
 * ERRNO > NOTIFY, TRACE (both ERRNO here: no supervisor, no tracer) > LOG >
 * ALLOW; among equals, the first rule in the profile. No rule matching:
 * `defaultAction`.
 *
 * Every outcome other than ALLOW is counted (`stats`) and reported through
 * `onEvent` (the container's operator log); a filter never allocates on an
 * unconditional ALLOW or on a denial (verdicts are prebuilt).
 */
import { ABI, type AbiType } from '../abi/spec.js';
import { Signal, WASI_PREVIEW1_IMPORTS, type WasiCallName } from '../abi/wasi.js';
import { E, ERRNO_NAMES, SysError } from '../errno.js';
import type { FilterVerdict, SyscallFilter } from '../syscalls/dispatch.js';
import type { SyscallEntry } from '../syscalls/table.js';
import type { Task } from '../task/task.js';
import { LINUX_CALLS } from './linux_names.js';
import { LINUX_ERRNO, type SeccompAction, type SeccompArg, type SeccompProfile } from './profile.js';

/** What an outcome does. */
export type OutcomeKind = 'allow' | 'log' | 'errno' | 'kill';

/** One denial or logged call, as reported to the operator. */
export interface SeccompEvent {
  /** The calling task's pid (in the container). */
  pid: number;
  call: WasiCallName;
  /** The profile's action that decided. */
  action: SeccompAction;
  /** The errno name for ERRNO (`PERM`), else undefined. */
  errno?: string;
}

/** What a filter counted: denials (ERRNO/NOTIFY/TRACE), kills (KILL_*, TRAP), LOG'd calls, and per call. */
export interface SeccompStats {
  denied: number;
  killed: number;
  logged: number;
  /** Non-ALLOW outcomes by WASI call name. */
  calls: Record<string, number>;
}

interface Outcome {
  readonly kind: OutcomeKind;
  readonly action: SeccompAction;
  readonly rank: number;
  readonly verdict: FilterVerdict;
  readonly errno?: string;
}

interface Cond {
  /** Decoded field to compare, or null: the condition never holds. */
  readonly field: string | null;
  readonly op: SeccompArg['op'];
  readonly value: bigint;
  readonly valueTwo: bigint;
}

interface CondRule {
  readonly outcome: Outcome;
  readonly conds: readonly Cond[];
}

interface Plan {
  /** Outcome of the unconditional rules naming the call (null: none). */
  readonly base: Outcome | null;
  readonly cond: readonly CondRule[];
}

const RANK: Record<SeccompAction, number> = {
  SCMP_ACT_ALLOW: 0, SCMP_ACT_LOG: 1, SCMP_ACT_TRACE: 2, SCMP_ACT_NOTIFY: 2, SCMP_ACT_ERRNO: 3,
  SCMP_ACT_TRAP: 4, SCMP_ACT_KILL: 5, SCMP_ACT_KILL_THREAD: 5, SCMP_ACT_KILL_PROCESS: 6,
};

const BY_ERRNO = new Map<number, SysError>(Object.values(E).map((se) => [se.errno, se]));
const KILL: FilterVerdict = Object.freeze({ kill: Signal.SYS });

function outcome(action: SeccompAction, errnoRet: number | undefined): Outcome {
  const rank = RANK[action];
  if (action === 'SCMP_ACT_ALLOW') return { kind: 'allow', action, rank, verdict: undefined };
  if (action === 'SCMP_ACT_LOG') return { kind: 'log', action, rank, verdict: undefined };
  if (rank >= RANK.SCMP_ACT_TRAP) return { kind: 'kill', action, rank, verdict: KILL };
  // ERRNO, NOTIFY, TRACE: the rule's errno (default EPERM)
  const wasi = LINUX_ERRNO.get(errnoRet ?? 1)!;
  const err = BY_ERRNO.get(wasi)!;
  return { kind: 'errno', action, rank, verdict: Object.freeze({ deny: err }), errno: ERRNO_NAMES[wasi] };
}

const SCALAR: ReadonlySet<AbiType> = new Set<AbiType>(['fd', 'u8', 'u16', 'u32', 'u64', 's64']);

/** The decoded field WASI-named argument `index` of `call` compares: a scalar itself, a buffer's or iovecs' length; else null. */
function wasiField(call: WasiCallName, index: number): string | null {
  const p = ABI[call].params[index];
  if (p === undefined) return null;
  const [, type, field] = p;
  if (SCALAR.has(type) || type === 'buf' || type === 'iovs_out' || type === 'iovs_in') return field.startsWith('_') ? null : field;
  return null;
}

function conds(args: readonly SeccompArg[], field: (index: number) => string | null): Cond[] {
  return args.map((a) => ({ field: field(a.index), op: a.op, value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0) }));
}

function numeric(v: unknown): bigint | null {
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (v instanceof Uint8Array) return BigInt(v.byteLength);
  return null;
}

function holds(c: Cond, args: unknown): boolean {
  if (c.field === null) return false;
  const v = numeric((args as Record<string, unknown>)[c.field]);
  if (v === null) return false;
  switch (c.op) {
    case 'SCMP_CMP_NE': return v !== c.value;
    case 'SCMP_CMP_LT': return v < c.value;
    case 'SCMP_CMP_LE': return v <= c.value;
    case 'SCMP_CMP_EQ': return v === c.value;
    case 'SCMP_CMP_GE': return v >= c.value;
    case 'SCMP_CMP_GT': return v > c.value;
    case 'SCMP_CMP_MASKED_EQ': return (v & c.value) === c.valueTwo;
  }
}

/** The profile reduced per WASI call (index: the call's table number). */
function compile(p: SeccompProfile): { plans: Plan[]; def: Outcome } {
  const base: (Outcome | null)[] = WASI_PREVIEW1_IMPORTS.map(() => null);
  const cond: CondRule[][] = WASI_PREVIEW1_IMPORTS.map(() => []);
  const nr = new Map<string, number>(WASI_PREVIEW1_IMPORTS.map((n, i) => [n, i]));
  for (const r of p.syscalls ?? []) {
    const o = outcome(r.action, r.errnoRet);
    const seen = new Set<number>();
    for (const name of r.names) {
      const direct = nr.get(name);
      const targets: [number, (i: number) => string | null][] = [];
      if (direct !== undefined) targets.push([direct, (i) => wasiField(name as WasiCallName, i)]);
      const linux = LINUX_CALLS.get(name);
      if (linux !== undefined && direct === undefined) {
        for (const w of linux.wasi) targets.push([nr.get(w)!, (i) => linux.args?.[i] ?? null]);
      }
      for (const [n, field] of targets) {
        if (r.args === undefined || r.args.length === 0) {
          if (seen.has(n)) continue;
          seen.add(n);
          const b = base[n];
          if (b === null || b === undefined || o.rank > b.rank) base[n] = o;
        } else {
          cond[n]!.push({ outcome: o, conds: conds(r.args, field) });
        }
      }
    }
  }
  return { plans: base.map((b, i) => ({ base: b ?? null, cond: cond[i]! })), def: outcome(p.defaultAction, p.defaultErrnoRet) };
}

/** A compiled profile: the dispatcher's filter, the calls it must see, and its counters. */
export class SeccompFilter {
  /** For the dispatcher: 1 at each call number the filter must see (0: always allowed, never called). */
  readonly calls: Uint8Array;
  /** The filter function (install with `Dispatcher.setFilter(filter.filter, filter.calls)`). */
  readonly filter: SyscallFilter;
  private readonly counts = { denied: 0, killed: 0, logged: 0 };
  private readonly byCall = new Map<string, number>();

  constructor(profile: SeccompProfile, private readonly onEvent?: (e: SeccompEvent) => void) {
    const { plans, def } = compile(profile);
    this.calls = new Uint8Array(plans.length);
    // constant outcome per call when it has no conditional rule
    const constant: (Outcome | null)[] = plans.map((pl) => (pl.cond.length === 0 ? pl.base ?? def : null));
    plans.forEach((_, i) => {
      const k = constant[i];
      this.calls[i] = k !== null && k!.kind === 'allow' ? 0 : 1;
    });
    this.filter = (task: Task, entry: SyscallEntry, args: unknown): FilterVerdict => {
      let o = constant[entry.nr];
      if (o === null || o === undefined) {
        const pl = plans[entry.nr]!;
        o = pl.base;
        for (const r of pl.cond) {
          if ((o === null || r.outcome.rank > o.rank) && r.conds.every((c) => holds(c, args))) o = r.outcome;
        }
        o ??= def;
      }
      if (o.kind !== 'allow') this.record(task, entry.name, o);
      return o.verdict;
    };
  }

  private record(task: Task, call: WasiCallName, o: Outcome): void {
    if (o.kind === 'errno') this.counts.denied++;
    else if (o.kind === 'kill') this.counts.killed++;
    else this.counts.logged++;
    this.byCall.set(call, (this.byCall.get(call) ?? 0) + 1);
    this.onEvent?.({ pid: task.pid, call, action: o.action, errno: o.errno });
  }

  /** What the filter counted so far (a copy). */
  stats(): SeccompStats {
    return { ...this.counts, calls: Object.fromEntries(this.byCall) };
  }

  /** The outcome the profile gives `call` with decoded `args` (tests, docs): its kind, action and errno name. */
  static decide(profile: SeccompProfile, call: WasiCallName, args: Record<string, unknown> = {}): { kind: OutcomeKind; action: SeccompAction; errno?: string } {
    let got: { kind: OutcomeKind; action: SeccompAction; errno?: string } | undefined;
    const f = new SeccompFilter(profile, (ev) => { got = { kind: ev.action === 'SCMP_ACT_LOG' ? 'log' : ev.errno ? 'errno' : 'kill', action: ev.action, errno: ev.errno }; });
    const nr = WASI_PREVIEW1_IMPORTS.indexOf(call);
    if (f.calls[nr] === 0) return { kind: 'allow', action: 'SCMP_ACT_ALLOW' };
    f.filter({ pid: 0 } as Task, { name: call, nr } as SyscallEntry, args);
    return got ?? { kind: 'allow', action: 'SCMP_ACT_ALLOW' };
  }
}

/** One operator log line for `ev` (the caller prefixes the container id): `pid 1: path_open denied by SCMP_ACT_ERRNO (EPERM)`. */
export function seccompLine(ev: SeccompEvent): string {
  const what = ev.action === 'SCMP_ACT_LOG' ? 'logged' : ev.errno !== undefined ? 'denied' : 'killed the task';
  return `pid ${ev.pid}: ${ev.call} ${what} by ${ev.action}${ev.errno !== undefined ? ` (E${ev.errno})` : ''}`;
}
