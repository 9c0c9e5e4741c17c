/**
 * The determinism and fault flags of `run`: `--clock fake[=ISO-TIME]`,
 * `--seed N`, `--inject RULE` (src/testing/: a virtual clock, seeded
 * randomness and stable device ids as a Host wrapper; fault rules in the
 * kernel's dispatcher). `addTestingFlags` registers them, `testingOptions`
 * turns them into runWasm's options (exit 125 with one line for bad input)
 * and into the container's `TestingSpec`, which its config carries to the
 * sentry platform, a detached sandbox (`-d`) and `create`/`start`.
 */
import type { Command } from 'commander';
import { faultHook, FaultRuleError, type FaultRule } from '../../kernel/syscalls/faults.js';
import type { Host } from '../../kernel/host.js';
import type { TestingSpec } from '../sentry/control_plane.js';
import { createNodeHost } from '../host/node_host.js';
import { NodeHostFs } from '../host/node_hostfs.js';
import { INJECT_HELP, parseInject } from '../testing/fault_flags.js';
import { deterministicHost, parseClockFlag, parseSeedFlag } from '../testing/virtual_host.js';
import { CliExit, ExitCode } from './exit.js';
import { collect } from './options.js';

/** The flags' raw values, as commander gives them. */
export interface TestingFlags {
  clock?: string;
  seed?: string;
  inject?: string[];
}

/** Register the flags (and the --inject grammar in the help) on `cmd`. */
export function addTestingFlags(cmd: Command): Command {
  return cmd
    .option('--clock <fake[=ISO-TIME]|real>', 'fake: a virtual clock starting at ISO-TIME (default 2000-01-01T00:00:00Z) that moves only when the program sleeps (sleeps end at once); files are stamped with it')
    .option('--seed <n>', 'seeded random_get and /dev/urandom: the same bytes on every run')
    .option('--inject <rule>', 'make system calls fail, come up short or wait, on purpose (grammar below); repeatable', collect, [])
    .addHelpText('after', `\n${INJECT_HELP}\nWith --clock fake, --seed and the same --inject rules, two runs print the same bytes\n(device and inode numbers, timestamps and readdir order included, bind mounts' too).\nThey work on both platforms, with -d and with create (the container's config keeps them).`);
}

/** The flags as runWasm's `host` and `faults` (inline platform) and as the container's `testing` spec (every other platform). */
export function testingOptions(flags: TestingFlags): { host?: Host; faults?: FaultRule[]; testing?: TestingSpec } {
  const inject = flags.inject ?? [];
  if (flags.clock === undefined && flags.seed === undefined && inject.length === 0) return {};
  try {
    const clock = flags.clock === undefined ? undefined : parseClockFlag(flags.clock);
    const seed = flags.seed === undefined ? undefined : parseSeedFlag(flags.seed);
    const faults = inject.map(parseInject);
    faultHook(faults); // checked here, once, for every platform (a detached sandbox could only log it)
    const testing: TestingSpec = {};
    if (clock !== undefined) testing.clock = clock.toSpec();
    if (seed !== undefined) testing.seed = seed;
    if (faults.length > 0) testing.faults = faults;
    const host = clock === undefined && seed === undefined ? undefined : deterministicHost(createNodeHost({ hostfs: new NodeHostFs() }), { clock, seed });
    return { host, faults, testing };
  } catch (e) {
    if ((e as { code?: string }).code === 'BAD_OPTION' || e instanceof FaultRuleError) throw new CliExit(ExitCode.RUNTIME, (e as Error).message);
    throw e;
  }
}
