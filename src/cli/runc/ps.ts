/**
 * `ps [--format table|json] ID`: host pids of the container's processes.
 * All of a container's processes run inside its one sandbox process,
 * listed first; the relay process of each running exec follows
 * (containerd's shim expects `[pid,…]` as JSON and matches exec pids).
 */
import type { Command } from 'commander';
import { DetachedError, loadState, pidAlive } from '../../runtime/detached/state.js';
import { rootOf } from './context.js';

/** Register `ps`. */
export function register(program: Command): void {
  program.command('ps')
    .description('list the host processes of a container')
    .argument('<container-id>')
    .option('-f, --format <format>', 'table or json', 'table')
    .action((id: string, f: { format: string }, cmd: Command) => {
      const st = loadState(rootOf(cmd), id);
      const pids = st.status === 'stopped' ? [] : [st.pid, ...(st.execPids ?? []).filter((p) => pidAlive(p))];
      if (f.format === 'json') process.stdout.write(`${JSON.stringify(pids)}\n`);
      else if (f.format === 'table') process.stdout.write(`PID\n${pids.map((p) => `${p}\n`).join('')}`);
      else throw new DetachedError('BAD_ARG', `invalid --format ${f.format}: use table or json`);
    });
}
