/**
 * The determinism and fault flags of `run`: `--clock fake[=ISO-TIME]`,
 * `--seed N`, `--inject RULE` (src/testing/: a virtual clock, seeded
 * randomness and stable device ids as a Host wrapper; fault rules in the
 * kernel's dispatcher). `addTestingFlags` registers them, `testingOptions`
 * turns them into runWasm's options (exit 125 with one line for bad input).
 * Inline platform only: the sentry platform's kernel runs in its own worker.
 */
import type { Command } from 'commander';
import type { FaultRule } from '../../kernel/syscalls/faults.js';
import type { Host } from '../../kernel/host.js';
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
    .addHelpText('after', `\n${INJECT_HELP}\nWith --clock fake, --seed and the same --inject rules, two runs print the same bytes\n(device and inode numbers, timestamps and readdir order included).`);
}

/** runWasm's `host` and `faults` for the flags; refused (125) off the inline platform. */
export function testingOptions(flags: TestingFlags, elsewhere: boolean): { host?: Host; faults?: FaultRule[] } {
  const inject = flags.inject ?? [];
  if (flags.clock === undefined && flags.seed === undefined && inject.length === 0) return {};
  if (elsewhere) throw new CliExit(ExitCode.RUNTIME, '--clock, --seed and --inject work on the inline platform (foreground run without --platform sentry)');
  try {
    const clock = flags.clock === undefined ? undefined : parseClockFlag(flags.clock);
    const seed = flags.seed === undefined ? undefined : parseSeedFlag(flags.seed);
    const faults = inject.map(parseInject);
    const host = clock === undefined && seed === undefined ? undefined : deterministicHost(createNodeHost({ hostfs: new NodeHostFs() }), { clock, seed });
    return { host, faults };
  } catch (e) {
    if ((e as { code?: string }).code === 'BAD_OPTION') throw new CliExit(ExitCode.RUNTIME, (e as Error).message);
    throw e;
  }
}
