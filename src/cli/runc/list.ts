/** `list [--format table|json] [--quiet]`: the containers under --root. */
import type { Command } from 'commander';
import { listStates } from '../../runtime/detached/state.js';
import { DetachedError } from '../../runtime/detached/state.js';
import { printTable } from '../table.js';
import { rootOf } from './context.js';
import { publicState } from './state.js';

/** Register `list`. */
export function register(program: Command): void {
  program.command('list')
    .alias('ls')
    .description('list containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'print only the ids')
    .action((f: { format: string; quiet?: boolean }, cmd: Command) => {
      const states = listStates(rootOf(cmd));
      if (f.quiet) {
        for (const s of states) process.stdout.write(`${s.id}\n`);
      } else if (f.format === 'json') {
        process.stdout.write(`${JSON.stringify(states.map(publicState))}\n`);
      } else if (f.format === 'table') {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
          ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
        printTable(rows, '   ');
      } else {
        throw new DetachedError('BAD_ARG', `invalid --format ${f.format}: use table or json`);
      }
    });
}
