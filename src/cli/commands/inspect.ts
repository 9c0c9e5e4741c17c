/** `wasmvisor inspect IMAGE | docker://REF`: show a local image, or a registry's without pulling its layers. */
import type { Command } from 'commander';
import { inspectLocal, inspectRemote } from '../../image/content/manifest_inspect.js';
import { findImage, readManifest } from '../../image/content/manifest_store.js';
import { parsePlatform } from '../../image/reference/platform.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';

/** Register `inspect`. */
export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('show an image in the store, or with docker:// one in a registry, as JSON')
    .argument('<image>', 'local image name or ID, or docker://REFERENCE')
    .option('--raw', 'print the manifest or index exactly as stored or served')
    .option('--platform <os/arch[/variant]>', 'platform to show from a multi-platform image')
    .option('--format <format>', 'json (the default)');
  addRegistryFlags(cmd).action(async (image: string, opts: RegistryFlags & { raw?: boolean; platform?: string }, c: Command) => {
    const platforms = opts.platform ? [parsePlatform(opts.platform)] : undefined;
    if (image.startsWith('docker://')) {
      const out = await inspectRemote(clientFromFlags(opts), image.slice('docker://'.length), { raw: opts.raw, platforms });
      process.stdout.write(Buffer.isBuffer(out) ? out : JSON.stringify(out, null, 4) + '\n');
      return;
    }
    const store = await storeFromCommand(c);
    const rec = await findImage(store, image);
    if (opts.raw) {
      await readManifest(store.content, rec.target);
      process.stdout.write(await store.content.readAll(rec.target.digest, rec.target.size + 1));
      return;
    }
    process.stdout.write(JSON.stringify([await inspectLocal(store, rec, platforms)], null, 4) + '\n');
  });
}
