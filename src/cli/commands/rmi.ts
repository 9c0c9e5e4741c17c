/** `wasmvisor rmi IMAGE...`: remove image names and the content only they used. */
import type { Command } from 'commander';
import { collectGarbage, pruneSnapshots } from '../../image/content/gc.js';
import { findImage } from '../../image/content/manifest_store.js';
import { storeFromCommand } from '../registry_setup.js';
import { StoreError } from '../../image/content/store_root.js';
import { CliExit } from '../exit.js';

/** Register `rmi`. */
export function register(program: Command): void {
  program
    .command('rmi')
    .description('remove images from the store')
    .argument('<image...>', 'image names or ID prefixes')
    .option('-f, --force', 'do not fail on images that are not present')
    .action(async (images: string[], opts: { force?: boolean }, c: Command) => {
      const store = await storeFromCommand(c);
      const missing: string[] = [];
      for (const input of images) {
        let rec;
        try {
          rec = await findImage(store, input);
        } catch (err) {
          if (err instanceof StoreError && err.code === 'IMAGE_NOT_FOUND') {
            missing.push(`image ${input} is not in the store: see wasmvisor images`); // not the pull hint findImage gives
            continue;
          }
          throw err;
        }
        // an ID removes every name pointing at it; a name removes only itself
        const byId = rec.target.digest.slice(7).startsWith(input.replace(/^sha256:/, '')) && rec.name !== input;
        const names = byId ? (await store.images.list()).filter((r) => r.target.digest === rec.target.digest).map((r) => r.name) : [rec.name];
        for (const n of names) {
          await store.images.delete(n);
          process.stdout.write(`Untagged: ${n}\n`);
        }
      }
      const gc = await collectGarbage(store, { ingestMaxAgeMs: Infinity });
      const snaps = await pruneSnapshots(store);
      if (gc.removed.length > 0) process.stdout.write(`Deleted: ${gc.removed.length} blobs${snaps.length ? `, ${snaps.length} unpacked layers` : ''}\n`);
      if (missing.length > 0 && !opts.force) throw new CliExit(1, missing.join('\nwasmvisor: ')); // one line each
    });
}
