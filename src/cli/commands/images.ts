/** `wasmvisor images`: list the images in the store. */
import type { Command } from 'commander';
import { summarise } from '../../image/content/manifest_inspect.js';
import { formatBytes } from '../progress.js';
import { parseReference } from '../../image/reference/reference.js';
import { storeFromCommand } from '../registry_setup.js';

/** True if `filter` names the repository or the image (short forms normalised as references are). */
function matches(name: string, repository: string, filter: string): boolean {
  if (name === filter || repository === filter) return true;
  try {
    const ref = parseReference(filter);
    return filter.includes(':') || filter.includes('@') ? name === ref.toString() : repository === ref.name;
  } catch {
    return false;
  }
}

/** Register `images`. */
export function register(program: Command): void {
  program
    .command('images')
    .description('list images in the store')
    .argument('[name]', 'only images of this repository (or name:tag)')
    .option('-q, --quiet', 'print only image IDs')
    .option('--digests', 'show full digests')
    .option('--format <format>', 'json: print the list as JSON')
    .action(async (name: string | undefined, opts: { quiet?: boolean; digests?: boolean; format?: string }, c: Command) => {
      const store = await storeFromCommand(c);
      let rows = await Promise.all((await store.images.list()).map((r) => summarise(store, r)));
      if (name) rows = rows.filter((r) => matches(r.name, r.repository, name));
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const id = (d: string): string => (opts.digests ? d : d.slice(7, 19));
      if (opts.quiet) {
        process.stdout.write([...new Set(rows.map((r) => id(r.id)))].map((l) => `${l}\n`).join(''));
        return;
      }
      const table = [['REPOSITORY', 'TAG', 'IMAGE ID', 'PLATFORM', 'CREATED', 'SIZE']];
      for (const r of rows) {
        table.push([r.repository, r.tag, id(r.id), r.platform, r.created?.slice(0, 19).replace('T', ' ') ?? '', r.size < 0 ? 'incomplete' : formatBytes(r.size)]);
      }
      const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      process.stdout.write(table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n').join(''));
    });
}
