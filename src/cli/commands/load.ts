/** `wasmvisor load [-i FILE|DIR|-]`: import images from an OCI layout or a docker-archive (stdin when piped). */
import { createWriteStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { openLayoutTransport } from '../../image/layout/layout_transport.js';
import { storeFromCommand } from '../registry_setup.js';
import { CliExit } from '../exit.js';

/** Register `load`. */
export function register(program: Command): void {
  program
    .command('load')
    .description('load images from an OCI image layout (directory or archive) or a docker-archive tarball')
    .option('-i, --input <path>', 'OCI layout directory, oci-archive or docker-archive file (.tar, .tar.gz); - or none: stdin')
    .option('-t, --tag <name>', 'name the loaded image (the input must hold one image)')
    .option('-q, --quiet', 'print only the names')
    .option('--format <format>', 'json: print the loaded images as JSON')
    .action(async (opts: { input?: string; tag?: string; quiet?: boolean; format?: string }, c: Command) => {
      const fromStdin = opts.input === '-' || opts.input === undefined;
      if (fromStdin && process.stdin.isTTY) throw new CliExit(125, 'load needs -i FILE|DIR, or an archive piped on stdin');
      const store = await storeFromCommand(c);
      let input = opts.input!;
      if (fromStdin) {
        // an archive must be read twice at most once: spool stdin to a private file first
        await fsp.mkdir(path.join(store.root, 'tmp'), { recursive: true });
        input = path.join(store.root, 'tmp', `load-${randomBytes(6).toString('hex')}.tar`);
        await pipeline(process.stdin, createWriteStream(input));
      }
      try {
        const transport = await openLayoutTransport(input, store.content);
        const loaded = await transport.pull(store, undefined, { tag: opts.tag }).finally(() => transport.close());
        if (opts.format === 'json') process.stdout.write(JSON.stringify(loaded, null, 2) + '\n');
        else process.stdout.write(loaded.map((l) => (opts.quiet ? `${l.name}\n` : `Loaded image: ${l.name}\n`)).join(''));
      } finally {
        if (fromStdin) await fsp.rm(input, { force: true });
      }
    });
}
