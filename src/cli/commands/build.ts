/**
 * `wasmvisor build [-t NAME] [-f FILE] [--build-arg K=V] [CONTEXT]`: an
 * image from a Containerfile (src/image/build/build.ts), as buildah builds
 * a scratch-based one. Prints each step (`STEP 2/5: COPY …`, `--> Using
 * cache …` on a cache hit) and, last, the image ID. Exit: 0; 125 for a bad
 * Containerfile or option; a RUN program's own non-zero status.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BuildError, buildImage } from '../../image/build/build.js';
import { CommitError } from '../../image/build/commit_layer.js';
import { RegistryTransport } from '../../image/registry/registry_transport.js';
import { parseReference } from '../../image/reference/reference.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';
import { CliExit, ExitCode } from '../exit.js';
import { collect } from '../options.js';
import { layersReader, resolveUser } from '../run_user.js';
import { parseMemory } from './run.js';

interface BuildFlags extends RegistryFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  platform?: string;
  cache: boolean;
  quiet?: boolean;
  timestamp?: string;
  memory?: string;
  layers?: string;
  target?: string;
}

/** Register `build`. */
export function register(program: Command): void {
  const cmd = program.command('build')
    .description('build an image from a Containerfile (FROM scratch or a Wasm image; COPY, ADD, RUN, ENV, ARG, WORKDIR, ENTRYPOINT, CMD, LABEL, USER, EXPOSE)')
    .argument('[context]', 'build context directory: COPY and ADD read from it', '.')
    .option('-t, --tag <name>', 'name of the image (repeatable)', collect, [])
    .option('-f, --file <path>', 'the Containerfile (default CONTEXT/Containerfile, else CONTEXT/Dockerfile)')
    .option('--build-arg <KEY[=VALUE]>', 'value of an ARG (KEY alone: from the environment); repeatable', collect, [])
    .option('--platform <os/arch>', 'image platform: only wasip1/wasm (the default)')
    .option('--no-cache', 'do not use cached layers (the cache is still filled)')
    .option('--layers [bool]', 'accepted for podman compatibility: layers are always cached')
    .option('-q, --quiet', 'print only the image ID')
    .option('--timestamp <seconds>', 'time of every file and of created (default $SOURCE_DATE_EPOCH, else 0: builds are reproducible)')
    .option('-m, --memory <size>', 'memory limit of each RUN (e.g. 256m)')
    .option('--target <stage>', 'build up to this stage (FROM … AS NAME) and make it the image, instead of the last stage')
    .addHelpText('after', `
RUN runs a WASI program of the image built so far (found on PATH as run does)
in a build container over its layers, without a shell: the shell form is
split into words (quotes honoured), no pipes, redirections or variables. The
files it writes become the step's layer. COPY and ADD read from the context;
ADD unpacks a local tar (plain or gzip); ADD of a URL is not supported.

Multi-stage builds, as buildah: each FROM IMAGE [AS NAME] starts a stage (FROM
may name an earlier stage); COPY --from=STAGE|INDEX|IMAGE copies out of an
earlier stage's files (or an image's: one in the store, or pulled when the
name has a registry), keeping modes and owners. The last stage, or --target's,
becomes the image; only the stages it needs are built.
COPY/ADD --chown=USER[:GROUP] sets the owner (names from the stage's
/etc/passwd and /etc/group, as USER), --chmod=OCTAL the mode, of everything
copied (directories made only on the way to DEST stay root's).

Reproducible: the same Containerfile, context, base image and build args give
the same image digest. Each COPY, ADD and RUN is cached by its instruction,
the steps before it and the content of its sources (for COPY --from: of the
files it copies); a cached step prints
"--> Using cache KEY" and is not run again.`);
  addRegistryFlags(cmd).action(async (context: string, f: BuildFlags, c: Command) => {
    if (f.platform !== undefined && f.platform !== 'wasip1/wasm') throw new CliExit(ExitCode.RUNTIME, `--platform ${f.platform}: only wasip1/wasm images are built`);
    const dir = resolve(context);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliExit(ExitCode.RUNTIME, `build context ${context} is not a directory`);
    const file = f.file !== undefined ? resolve(f.file) : [join(dir, 'Containerfile'), join(dir, 'Dockerfile')].find((p) => existsSync(p));
    if (file === undefined) throw new CliExit(ExitCode.RUNTIME, `no Containerfile or Dockerfile in ${context}: give one with -f`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new CliExit(ExitCode.RUNTIME, `${f.file ?? file}: cannot read the Containerfile (no such file?)`);
    }
    const buildArgs = new Map<string, string>();
    for (const a of f.buildArg) {
      const i = a.indexOf('=');
      if (i === 0) throw new CliExit(ExitCode.RUNTIME, `invalid --build-arg ${a}: KEY[=VALUE]`);
      if (i > 0) buildArgs.set(a.slice(0, i), a.slice(i + 1));
      else if (process.env[a] !== undefined) buildArgs.set(a, process.env[a]!);
    }
    if (f.timestamp !== undefined && !/^\d+$/.test(f.timestamp)) throw new CliExit(ExitCode.RUNTIME, `invalid --timestamp ${f.timestamp}: seconds since the epoch`);
    for (const t of f.tag) {
      try {
        parseReference(t);
      } catch (err) {
        throw new CliExit(ExitCode.RUNTIME, `invalid --tag ${JSON.stringify(t)}: ${(err as Error).message}`);
      }
    }
    const store = await storeFromCommand(c);
    try {
      const r = await buildImage(store, {
        containerfile: text, context: dir, tags: f.tag, buildArgs, noCache: !f.cache,
        timestamp: f.timestamp === undefined ? undefined : Number(f.timestamp),
        memoryLimit: f.memory === undefined ? undefined : parseMemory(f.memory),
        log: f.quiet ? undefined : (l) => process.stdout.write(`${l}\n`),
        pull: async (name) => { await new RegistryTransport(clientFromFlags(f)).pull(store, parseReference(name), {}); },
        resolveUser: (spec, lowers) => resolveUser(spec, layersReader(lowers)),
        target: f.target,
      });
      if (f.tag.length === 0) await store.images.put(`localhost/build@${r.manifest.digest}`, r.manifest, { 'wasmvisor.source': 'build' });
      if (!f.quiet) for (const n of r.names) process.stdout.write(`Successfully tagged ${n}\n`);
      process.stdout.write(`${r.manifest.digest.slice(7)}\n`);
    } catch (err) {
      if (err instanceof BuildError) throw new CliExit(err.exitCode, err.message);
      if (err instanceof CommitError) throw new CliExit(ExitCode.RUNTIME, err.message);
      throw err;
    }
  });
}
