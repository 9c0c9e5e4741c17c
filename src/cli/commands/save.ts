/** `wasmvisor save -o OUT [--format F] IMAGE...`: export images to an OCI layout or a docker-archive. */
import type { Command } from 'commander';
import { parsePlatform } from '../../image/platform.js';
import { storeFromCommand } from '../../image/registry_setup.js';
import { SAVE_FORMATS, saveImages, type SaveFormat } from '../../image/save.js';
import { CliExit } from '../exit.js';

/** Register `save`. */
export function register(program: Command): void {
  program
    .command('save')
    .description('save images to an oci-archive, an OCI layout directory or a docker-archive')
    .argument('<image...>', 'image names or ID prefixes')
    .option('-o, --output <path>', 'file (archives) or directory (oci-dir) to write')
    .option('--format <format>', `one of ${SAVE_FORMATS.join(', ')}`, 'oci-archive')
    .option('--platform <os/arch[/variant]>', 'platform to save from a multi-platform image')
    .action(async (images: string[], opts: { output?: string; format: string; platform?: string }, c: Command) => {
      if (!opts.output) throw new CliExit(125, 'save needs -o FILE|DIR (writing to stdout is not supported)');
      if (!SAVE_FORMATS.includes(opts.format as SaveFormat)) {
        throw new CliExit(125, `--format ${opts.format} is not one of ${SAVE_FORMATS.join(', ')}`);
      }
      const store = await storeFromCommand(c);
      await saveImages(store, images, opts.output, {
        format: opts.format as SaveFormat,
        platforms: opts.platform ? [parsePlatform(opts.platform)] : undefined,
      });
    });
}
