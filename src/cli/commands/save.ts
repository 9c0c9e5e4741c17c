/** `wasmvisor save [-o OUT] [--format F] IMAGE...`: export images to an OCI layout or a docker-archive (stdout when piped). */
import { createReadStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { parsePlatform } from '../../image/reference/platform.js';
import { storeFromCommand } from '../registry_setup.js';
import { saveTransport } from '../../image/layout/layout_transport.js';
import { SAVE_FORMATS, type SaveFormat } from '../../image/layout/save.js';
import { CliExit } from '../exit.js';

/** Register `save`. */
export function register(program: Command): void {
  program
    .command('save')
    .description('save images to an oci-archive, an OCI layout directory or a docker-archive')
    .argument('<image...>', 'image names or ID prefixes')
    .option('-o, --output <path>', 'file (archives) or directory (oci-dir) to write; - or none: stdout (archives)')
    .option('--format <format>', `one of ${SAVE_FORMATS.join(', ')}`, 'oci-archive')
    .option('--platform <os/arch[/variant]>', 'platform to save from a multi-platform image')
    .action(async (images: string[], opts: { output?: string; format: string; platform?: string }, c: Command) => {
      if (!SAVE_FORMATS.includes(opts.format as SaveFormat)) {
        throw new CliExit(125, `--format ${opts.format} is not one of ${SAVE_FORMATS.join(', ')}`);
      }
      const toStdout = opts.output === '-' || opts.output === undefined;
      if (toStdout && opts.format === 'oci-dir') throw new CliExit(125, 'save --format oci-dir needs -o DIR');
      if (toStdout && process.stdout.isTTY) throw new CliExit(125, 'save needs -o FILE, or stdout redirected to a file or pipe');
      const store = await storeFromCommand(c);
      let out = opts.output!;
      if (toStdout) {
        await fsp.mkdir(path.join(store.root, 'tmp'), { recursive: true });
        out = path.join(store.root, 'tmp', `save-${randomBytes(6).toString('hex')}.tar`);
      }
      try {
        await saveTransport(opts.format as SaveFormat, out).push(store, images, {
          platforms: opts.platform ? [parsePlatform(opts.platform)] : undefined,
        });
        if (toStdout) await pipeline(createReadStream(out), process.stdout, { end: false });
      } finally {
        if (toStdout) await fsp.rm(out, { force: true });
      }
    });
}
