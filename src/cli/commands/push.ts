/** `wasmvisor push IMAGE [DESTINATION]`: upload an image from the store to a registry. */
import type { Command } from 'commander';
import { progressFor } from '../progress.js';
import { pushImage } from '../../image/registry/push.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';

/** Register `push`. */
export function register(program: Command): void {
  const cmd = program
    .command('push')
    .description('push an image to a registry')
    .argument('<image>', 'local image name or ID')
    .argument('[destination]', 'registry reference to push to (default: the image name); a docker:// prefix is accepted')
    .option('--chunk-size <bytes>', 'upload blobs larger than this in chunks of this size (default 64 MiB)')
    .option('-q, --quiet', 'print only the pushed digest')
    .option('--format <format>', 'json: print the result as JSON');
  addRegistryFlags(cmd).action(
    async (image: string, destination: string | undefined, opts: RegistryFlags & { chunkSize?: string; quiet?: boolean; format?: string }, c: Command) => {
      const store = await storeFromCommand(c);
      const json = opts.format === 'json';
      const progress = progressFor({ json, quiet: opts.quiet });
      try {
        const r = await pushImage(store, image, destination?.replace(/^docker:\/\//, ''), {
          client: clientFromFlags(opts),
          progress,
          chunkSize: opts.chunkSize ? Number(opts.chunkSize) : undefined,
        });
        process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : `${r.digest}\n`);
      } finally {
        progress.stop();
      }
    },
  );
}
