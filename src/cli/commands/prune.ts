/** `wasmvisor prune`: garbage-collect content, snapshots and stale ingests no image uses. */
import type { Command } from 'commander';
import { collectGarbage, pruneSnapshots } from '../../image/content/gc.js';
import { formatBytes } from '../progress.js';
import { storeFromCommand } from '../registry_setup.js';

/** Register `prune`. */
export function register(program: Command): void {
  program
    .command('prune')
    .description('remove content, unpacked layers and stale downloads that no image uses')
    .option('--dry-run', 'only report what would be removed')
    .option('--format <format>', 'json: print the result as JSON')
    .action(async (opts: { dryRun?: boolean; format?: string }, c: Command) => {
      const store = await storeFromCommand(c);
      const gc = await collectGarbage(store, { dryRun: opts.dryRun });
      const snapshots = opts.dryRun ? [] : await pruneSnapshots(store);
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify({ ...gc, snapshots }, null, 2) + '\n');
        return;
      }
      const verb = opts.dryRun ? 'Would remove' : 'Removed';
      process.stdout.write(
        `${verb} ${gc.removed.length} blobs (${formatBytes(gc.bytes)}), ${gc.ingests.length} stale downloads, ${snapshots.length} unpacked layers\n`,
      );
    });
}
