/**
 * The guest side of fuel metering (kernel/meter), the same on every
 * platform: the `wasmvisor_meter.out_of_fuel` import. The metered module
 * calls it with the fuel it has left (≤ 0) when a quantum is spent; it
 * tells the platform's `onFuel` how much ran since the last call and
 * returns the next quantum. `onFuel` is where the CPU control points act:
 * it may block (cpu.max, cpu.weight, pause) or throw TaskExit (RLIMIT_CPU,
 * a kill), which unwinds the guest as a syscall's would.
 */
import { Signal } from '../abi/wasi.js';
import { type CpuController, FUEL_PER_USEC } from '../cgroup/cpu.js';
import { CpuShare } from '../cgroup/cpu_share.js';
import { METER_MODULE, OUT_OF_FUEL } from '../meter/rewrite.js';
import type { ExitStatus } from '../task/exit.js';

/** The platform's side: `spent` fuel ran since the last quantum; returns the next quantum (> 0). */
export type OnFuel = (spent: number) => number;

/** True if `module` was metered (imports the out-of-fuel call). */
export function isMetered(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.module === METER_MODULE && i.name === OUT_OF_FUEL && i.kind === 'function');
}

/** True for the meter's import (the one import besides WASI's a module may have). */
export function isMeterImport(i: WebAssembly.ModuleImportDescriptor): boolean {
  return i.module === METER_MODULE && i.name === OUT_OF_FUEL && i.kind === 'function';
}

/**
 * The import object entry of the meter. `initial` is the fuel the module
 * starts with (the rewrite's `initialFuel`, 0 by default).
 */
export function meterImports(onFuel: OnFuel, initial = 0): WebAssembly.Imports {
  let given = initial;
  return {
    [METER_MODULE]: {
      [OUT_OF_FUEL]: (left: number): number => {
        const q = onFuel(given - left);
        given = q > 0 ? q | 0 : 1;
        return given;
      },
    },
  };
}

/** What the platform does when a metered task calls out (both platforms carry it out their way). */
export type FuelDecision =
  | { readonly kind: 'run'; readonly fuel: number }
  | { readonly kind: 'wait'; readonly untilNs: bigint }
  | { readonly kind: 'exit'; readonly status: ExitStatus };

/** The CPU control points a call out of fuel passes, in order. */
export interface FuelPolicy {
  /** The task's cgroup's cpu controller (cpu.max, cpu.stat). */
  cpu: CpuController;
  /** cpu.weight across containers (the sentry platform's scheduler); null: none. */
  share: CpuShare | null;
  /** RLIMIT_CPU of the task, in seconds (soft: SIGXCPU; a WASI guest cannot catch it, so hard is never reached). */
  cpuLimit?: { soft: number; hard: number };
}

/**
 * Decide a call out of fuel: charge `spent` to the cgroup (cpu.stat), end
 * the task past RLIMIT_CPU (SIGXCPU), wait for the next period past cpu.max
 * or while other cgroups are owed their cpu.weight share, else run one
 * more quantum.
 */
export function decideFuel(p: FuelPolicy, pid: number, spent: number, nowNs: bigint): FuelDecision {
  const v = p.cpu.account(pid, spent, nowNs);
  let left = Infinity;
  if (p.cpuLimit !== undefined) {
    left = p.cpuLimit.soft * 1e6 * FUEL_PER_USEC - p.cpu.taskFuel(pid);
    if (left <= 0) return { kind: 'exit', status: { code: 0, signal: Signal.XCPU, reason: `CPU time limit exceeded (RLIMIT_CPU ${p.cpuLimit.soft} s)` } };
  }
  if (v.kind === 'park') return { kind: 'wait', untilNs: v.untilNs };
  if (p.share !== null && !p.share.admit(p.cpu, nowNs)) return { kind: 'wait', untilNs: nowNs + CpuShare.waitNs };
  return { kind: 'run', fuel: Math.max(1, Math.min(p.cpu.quantum(nowNs), left)) };
}
