/**
 * The cpu flags of `run` and `create`, spelled as podman spells them:
 * `--cpus`, `--cpu-quota`, `--cpu-period`, `--cpu-shares` (cpu.max and
 * cpu.weight of the container's cgroup, enforced by fuel metering:
 * kernel/meter, kernel/cgroup/cpu.ts). `addCpuFlags` registers them;
 * `cpuOptions` turns their values into the run config's (exit 125 with one
 * line for bad input).
 */
import type { Command } from 'commander';
import type { RunConfigOptions } from '../runtime/run_config.js';
import { CliExit, ExitCode } from './exit.js';

/** The flags' raw values, as commander gives them. */
export interface CpuFlags {
  cpus?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShares?: string;
}

/** Register the cpu flags on `cmd`. */
export function addCpuFlags(cmd: Command): Command {
  return cmd
    .option('--cpus <n>', 'CPUs the container may use (e.g. 0.5, 2): cpu.max of --cpus × period per period; a guest that spends it waits for the next period, also in a loop without system calls')
    .option('--cpu-quota <usec>', 'cpu.max quota: microseconds of CPU per period (at least 1000; -1: no limit)')
    .option('--cpu-period <usec>', 'cpu.max period in microseconds (1000 to 1000000, default 100000)')
    .option('--cpu-shares <n>', 'relative CPU weight between busy containers of one Sentry (2 to 262144, default 1024; cpu.weight = 1 + (n - 2) × 9999 / 262142)');
}

function int(spec: string, flag: string, min: number, max: number, what: string): number {
  if (!/^-?\d+$/.test(spec.trim()) || Number(spec) < min || Number(spec) > max) throw new CliExit(ExitCode.RUNTIME, `invalid ${flag} ${spec}: ${what}`);
  return Number(spec);
}

/** The run config's `cpu` from the flags (undefined: none given). */
export function cpuOptions(flags: CpuFlags): Pick<RunConfigOptions, 'cpu'> {
  const { cpus, cpuQuota, cpuPeriod, cpuShares } = flags;
  if (cpus === undefined && cpuQuota === undefined && cpuPeriod === undefined && cpuShares === undefined) return {};
  if (cpus !== undefined && cpuQuota !== undefined) throw new CliExit(ExitCode.RUNTIME, '--cpus and --cpu-quota both set cpu.max: give one');
  let period = cpuPeriod === undefined ? undefined : int(cpuPeriod, '--cpu-period', 1000, 1_000_000, 'give microseconds from 1000 to 1000000');
  let quota: number | undefined;
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!/^\d*\.?\d+$/.test(cpus.trim()) || !(n > 0) || n > 1024) throw new CliExit(ExitCode.RUNTIME, `invalid --cpus ${cpus}: give a positive number of CPUs such as 0.5 or 2`);
    period ??= 100_000;
    quota = Math.round(n * period);
    if (quota < 1000) throw new CliExit(ExitCode.RUNTIME, `invalid --cpus ${cpus}: below 1 ms of CPU per ${period} µs period`);
  } else if (cpuQuota !== undefined) {
    const q = int(cpuQuota, '--cpu-quota', -1, 1e12, 'give microseconds per period (at least 1000), or -1 for no limit');
    if (q !== -1 && q < 1000) throw new CliExit(ExitCode.RUNTIME, `invalid --cpu-quota ${cpuQuota}: the minimum is 1000 (µs)`);
    quota = q === -1 ? undefined : q;
  }
  const shares = cpuShares === undefined ? undefined : int(cpuShares, '--cpu-shares', 2, 262144, 'give a weight from 2 to 262144');
  return { cpu: { ...(quota !== undefined && { quota }), ...(period !== undefined && { period }), ...(shares !== undefined && { shares }) } };
}
