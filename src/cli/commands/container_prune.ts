/**
 * `wasmvisor container prune [-f] [--filter until=T|label=K[=V]|label!=K[=V]]`:
 * remove every container that is not running (created and exited ones:
 * their state, log and kept writable layer), printing each removed id, as
 * podman's. `system prune` removes containers through `pruneContainers`.
 */
import type { Command } from 'commander';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { CliExit, ExitCode } from '../exit.js';
import { collect } from '../options.js';
import { GROUPS } from './groups.js';
import { labelsOf } from '../containers/labels.js';
import { containersRoot } from '../containers/store.js';
import { parseLogTime } from '../containers/log_time.js';
import { dirSize } from './system_size.js';
import { confirm } from '../confirm.js';

/** A container prune filter: true keeps the container out of the prune. */
type Filter = (st: RuncState) => boolean;

/** podman's prune filters: `until=TIME` (created before), `label=KEY[=VALUE]`, `label!=KEY[=VALUE]`; 125 for others. */
export function pruneFilters(specs: readonly string[]): Filter[] {
  return specs.map((spec) => {
    const m = /^(until|label!?)=(.*)$/.exec(spec);
    if (!m || m[2] === '') throw new CliExit(ExitCode.RUNTIME, `invalid --filter ${JSON.stringify(spec)}: use until=TIME, label=KEY[=VALUE] or label!=KEY[=VALUE]`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'until') {
      const until = parseLogTime('--until', value) / 1_000_000n;
      return (st) => BigInt(Date.parse(st.created)) > until;
    }
    const eq = value.indexOf('=');
    const k = eq < 0 ? value : value.slice(0, eq);
    const has = (st: RuncState) => {
      const labels = labelsOf(st);
      return Object.hasOwn(labels, k) && (eq < 0 || labels[k] === value.slice(eq + 1));
    };
    return key === 'label' ? (st) => !has(st) : has;
  });
}

/** Remove the containers under `root` that are not running and pass no filter that keeps them; their ids and the bytes freed. */
export async function pruneContainers(root: string, filters: readonly Filter[] = []): Promise<{ ids: string[]; bytes: number }> {
  const ids: string[] = [];
  let bytes = 0;
  for (const st of listStates(root)) {
    if (st.status !== 'stopped' && st.status !== 'created') continue;
    if (filters.some((keep) => keep(st))) continue;
    const size = dirSize(`${root}/${st.id}`);
    await deleteContainer(root, st.id, { force: true });
    bytes += size;
    ids.push(st.id);
  }
  return { ids, bytes };
}

/** Register `container prune` (the `container` group's own subcommand: there is no top-level prune of containers). */
export function register(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'container') ?? program.command('container').description(GROUPS.container!.description);
  group.command('prune')
    .description('remove every container that is not running (created and exited ones)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <filter>', 'until=TIME (created before TIME: RFC 3339, Unix seconds or a duration such as 24h), label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', collect, [])
    .addHelpText('after', `
Each removed container's id is printed; its log and its kept writable layer
go with it. Without -f it asks on stdin and does nothing unless the answer is
y or yes.

Exit status: 0; 125 for an invalid filter.`)
    .action(async (opts: { force?: boolean; filter: string[] }, c: Command) => {
      const filters = pruneFilters(opts.filter);
      if (!opts.force && !(await confirm('WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] '))) return;
      const { ids } = await pruneContainers(containersRoot(c), filters);
      for (const id of ids) process.stdout.write(`${id}\n`);
    });
}
