/**
 * `wasmvisor import TARBALL [NAME]`: an image of one layer from a tarball
 * (plain or gzip; `-` reads stdin), with `--change` setting CMD,
 * ENTRYPOINT, ENV, WORKDIR, USER, LABEL as in a Containerfile.
 * Prints the image ID. Without NAME the image is kept as
 * `localhost/import@DIGEST` (podman's unnamed image).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { commitLayer, CommitError } from '../../image/build/commit_layer.js';
import { BuildError, execForm, keyValues, words } from '../../image/build/containerfile.js';
import type { ConfigSettings } from '../../image/content/image_config.js';
import { storeFromCommand } from '../registry_setup.js';
import { CliExit, ExitCode } from '../exit.js';
import { collect } from '../options.js';

/** Most bytes `import` reads (the layer is held in memory). */
export const IMPORT_MAX = 2 * 1024 ** 3;

/** Apply `--change 'INSTRUCTION ARGS'` lines to config settings. */
export function applyChanges(changes: readonly string[]): ConfigSettings {
  const s: ConfigSettings = {};
  for (const ch of changes) {
    const m = /^\s*([A-Za-z]+)\s*[= ]\s*([\s\S]*)$/.exec(ch);
    if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid --change ${JSON.stringify(ch)}: INSTRUCTION ARGS, e.g. 'CMD ["/app.wasm"]'`);
    const kw = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    const where = `--change ${ch}`;
    if (kw === 'CMD') s.cmd = execForm(args, where) ?? words(args, where);
    else if (kw === 'ENTRYPOINT') s.entrypoint = execForm(args, where) ?? words(args, where);
    else if (kw === 'ENV') s.env = [...(s.env ?? []), ...keyValues(args, where, true).map(([k, v]) => `${k}=${v}`)];
    else if (kw === 'WORKDIR') s.workdir = args;
    else if (kw === 'USER') s.user = args;
    else if (kw === 'LABEL') s.labels = { ...(s.labels ?? {}), ...Object.fromEntries(keyValues(args, where, false)) };
    else throw new CliExit(ExitCode.RUNTIME, `invalid --change ${JSON.stringify(ch)}: ${kw} is not supported (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL)`);
  }
  return s;
}

/** Register `import`. */
export function register(program: Command): void {
  program.command('import')
    .description('create an image from a tarball (its one layer), optionally with --change CMD/ENTRYPOINT/ENV/...')
    .argument('<tarball>', 'a tar archive, plain or gzip; - for stdin')
    .argument('[name]', 'name of the new image')
    .option('-c, --change <instruction>', 'Containerfile instruction to apply: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL (repeatable)', collect, [])
    .option('-m, --message <text>', 'commit message, recorded in the history')
    .option('-q, --quiet', 'print only the image ID (the default output already is)')
    .action(async (tarball: string, name: string | undefined, o: { change: string[]; message?: string }, c: Command) => {
      let settings;
      try {
        settings = applyChanges(o.change);
      } catch (err) {
        if (err instanceof BuildError) throw new CliExit(ExitCode.RUNTIME, err.message);
        throw err;
      }
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(tarball === '-' ? 0 : tarball);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliExit(ExitCode.RUNTIME, `${tarball}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a tarball' : (err as Error).message}`);
      }
      if (bytes.length > IMPORT_MAX) throw new CliExit(ExitCode.RUNTIME, `${tarball}: larger than ${IMPORT_MAX} bytes`);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
          bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: IMPORT_MAX }));
        } catch {
          throw new CliExit(ExitCode.RUNTIME, `${tarball}: a corrupt gzip stream`);
        }
      }
      if (bytes.length < 512 || new TextDecoder().decode(bytes.subarray(257, 262)) !== 'ustar') {
        throw new CliExit(ExitCode.RUNTIME, `${tarball}: not a tar archive (plain or gzip)`);
      }
      const store = await storeFromCommand(c);
      try {
        const r = await commitLayer(store, {
          ...settings, layer: bytes, createdBy: `/bin/sh -c #(nop) ADD file:${tarball === '-' ? 'stdin' : tarball} in / `,
          comment: o.message ?? 'imported from tarball', tags: name === undefined ? [] : [name], source: 'import',
        });
        if (name === undefined) await store.images.put(`localhost/import@${r.manifest.digest}`, r.manifest, { 'wasmvisor.source': 'import' });
        process.stdout.write(`${r.manifest.digest.slice(7)}\n`);
      } catch (err) {
        if (err instanceof CommitError) throw new CliExit(ExitCode.RUNTIME, err.message);
        throw err;
      }
    });
}
