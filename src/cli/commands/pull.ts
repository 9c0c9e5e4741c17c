/** `wasmvisor pull IMAGE`: fetch an image from a registry into the store. */
import type { Command } from 'commander';
import { parsePlatform } from '../../image/reference/platform.js';
import { progressFor } from '../progress.js';
import type { PullResult } from '../../image/registry/pull.js';
import { parseReference } from '../../image/reference/reference.js';
import { RegistryTransport } from '../../image/registry/registry_transport.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';

/** Register `pull`. */
export function register(program: Command): void {
  const cmd = program
    .command('pull')
    .description('pull an image from a registry')
    .argument('<image>', 'image reference, e.g. ghcr.io/org/app:1.0 (a docker:// prefix is accepted)')
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default wasip1/wasm, then wasi/wasm)')
    .option('--all-platforms', 'bring in every platform of a multi-platform image (to push or save it whole)')
    .option('-q, --quiet', 'print only the image digest')
    .option('--format <format>', 'json: print the result as JSON');
  addRegistryFlags(cmd).action(async (image: string, opts: RegistryFlags & { platform?: string; allPlatforms?: boolean; quiet?: boolean; format?: string }, c: Command) => {
    const store = await storeFromCommand(c);
    const json = opts.format === 'json';
    const progress = progressFor({ json, quiet: opts.quiet });
    try {
      const transport = new RegistryTransport(clientFromFlags(opts));
      const [pulled] = await transport.pull(store, parseReference(image.replace(/^docker:\/\//, '')), {
        platforms: opts.platform ? [parsePlatform(opts.platform)] : undefined,
        allPlatforms: opts.allPlatforms,
        progress,
      });
      const r = pulled.report as PullResult;
      process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : `${r.digest}\n`);
    } finally {
      progress.stop();
    }
  });
}
