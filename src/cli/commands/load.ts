/** `wasmvisor load -i FILE|DIR`: import images from an OCI layout or a docker-archive. */
import type { Command } from 'commander';
import { loadImages } from '../../image/load.js';
import { storeFromCommand } from '../../image/registry_setup.js';
import { CliExit } from '../exit.js';

/** Register `load`. */
export function register(program: Command): void {
  program
    .command('load')
    .description('load images from an OCI image layout (directory or archive) or a docker-archive tarball')
    .option('-i, --input <path>', 'OCI layout directory, oci-archive or docker-archive file (.tar, .tar.gz)')
    .option('-t, --tag <name>', 'name the loaded image (the input must hold one image)')
    .option('-q, --quiet', 'print only the names')
    .option('--format <format>', 'json: print the loaded images as JSON')
    .action(async (opts: { input?: string; tag?: string; quiet?: boolean; format?: string }, c: Command) => {
      if (!opts.input) throw new CliExit(125, 'load needs -i FILE|DIR (reading an archive from stdin is not supported)');
      const store = await storeFromCommand(c);
      const loaded = await loadImages(store, opts.input, { tag: opts.tag });
      if (opts.format === 'json') process.stdout.write(JSON.stringify(loaded, null, 2) + '\n');
      else process.stdout.write(loaded.map((l) => (opts.quiet ? `${l.name}\n` : `Loaded image: ${l.name}\n`)).join(''));
    });
}
