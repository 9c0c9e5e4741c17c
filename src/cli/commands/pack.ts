/** `wasmvisor pack`: build an image (or a Wasm OCI artifact) from host files. */
import type { Command } from 'commander';
import { packImage, parseAdd, parseLabels } from '../../image/layout/pack.js';
import { storeFromCommand } from '../registry_setup.js';
import { CliExit } from '../exit.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Split a JSON array (`["/app.wasm","-v"]`) or a plain string on spaces, as podman does for --entrypoint. */
function argv(s: string | undefined, flag: string): string[] | undefined {
  if (s === undefined) return undefined;
  if (s.trim().startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw new CliExit(125, `invalid ${flag} ${s}: not a JSON array of strings (e.g. ${flag} '["/app.wasm","-v"]'), or give a space-separated string`);
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CliExit(125, `invalid ${flag} ${s}: not a JSON array of strings`);
    return v as string[];
  }
  return s.split(/\s+/).filter(Boolean);
}

/** Register `pack`. */
export function register(program: Command): void {
  program
    .command('pack')
    .description('build an image from files (a .wasm plus data), or a Wasm OCI artifact with --artifact')
    .option('--from <image>', 'base image name, or scratch', 'scratch')
    .option('--add <src:dest>', 'add a host file or directory at DEST (repeatable)', collect)
    .option('--entrypoint <cmd>', 'entrypoint: a JSON array or a space-separated string')
    .option('--cmd <args>', 'default arguments: a JSON array or a space-separated string')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'user[:group] to run as')
    .option('-l, --label <KEY=VALUE>', 'label (repeatable)', collect)
    .option('-t, --tag <name>', 'name of the image (repeatable)', collect)
    .option('--artifact', 'build the Wasm OCI artifact format (config application/vnd.wasm.config.v0+json, layer application/wasm)')
    .option('--format <format>', 'json: print the result as JSON')
    .action(async (opts: {
      from: string; add?: string[]; entrypoint?: string; cmd?: string; env?: string[]; workdir?: string; user?: string;
      label?: string[]; tag?: string[]; artifact?: boolean; format?: string;
    }, c: Command) => {
      if (!opts.add?.length) throw new CliExit(125, 'pack needs at least one --add SRC:DEST');
      const store = await storeFromCommand(c);
      const r = await packImage(store, {
        from: opts.from,
        add: opts.add.map(parseAdd),
        entrypoint: argv(opts.entrypoint, '--entrypoint'),
        cmd: argv(opts.cmd, '--cmd'),
        env: opts.env,
        workdir: opts.workdir,
        user: opts.user,
        labels: parseLabels(opts.label),
        tags: opts.tag,
        artifact: opts.artifact,
      });
      if (opts.format === 'json') process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else process.stdout.write(`${r.manifest.digest}\n`);
    });
}
