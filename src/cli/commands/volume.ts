/**
 * `wasmvisor volume create|ls|inspect|rm|prune`: named volumes (see
 * src/runtime/volume_store.ts), as podman's local driver. `rm` exits 1
 * when a volume does not exist and 2 when a container uses it (podman's
 * codes); -f removes those containers first.
 */
import { randomBytes } from 'node:crypto';
import { confirm } from '../confirm.js';
import type { Command } from 'commander';
import { VolumeError, usersOf, type VolumeInfo } from '../../runtime/volume_store.js';
import { deleteContainer } from '../../runtime/lifecycle/delete.js';
import { containersRoot } from '../containers/store.js';
import { CliExit, ExitCode } from '../exit.js';
import { printReport } from '../format_output.js';
import { collect } from '../options.js';
import { printTable } from '../table.js';
import { mountSources, volumesFromCommand } from '../volume_users.js';

const FIELDS = ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Options', 'Scope'] as const;

/** `KEY=VALUE` list → record (a KEY alone has an empty value, as podman's labels). */
function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    out[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  return out;
}

/** A VolumeError as the CLI's exit (podman: 125 unless the command says otherwise). */
function cliError(err: unknown): never {
  if (err instanceof VolumeError) throw new CliExit(ExitCode.RUNTIME, err.message);
  throw err;
}

/** `--filter name=…|label=…|dangling=true|false` on volumes (`users`: id list per volume). */
function filterVolumes(vols: VolumeInfo[], filters: readonly string[], users: (v: VolumeInfo) => string[]): VolumeInfo[] {
  let out = vols;
  for (const f of filters) {
    const i = f.indexOf('=');
    const key = i < 0 ? f : f.slice(0, i);
    const val = i < 0 ? '' : f.slice(i + 1);
    if (key === 'name') out = out.filter((v) => v.Name.includes(val));
    else if (key === 'label') {
      const [k, want] = val.split('=', 2) as [string, string | undefined];
      out = out.filter((v) => Object.hasOwn(v.Labels, k) && (want === undefined || v.Labels[k] === want));
    } else if (key === 'dangling') out = out.filter((v) => (users(v).length === 0) === (val === 'true' || val === '1'));
    else if (key === 'driver') out = out.filter((v) => v.Driver === val);
    else throw new CliExit(ExitCode.RUNTIME, `invalid --filter ${f}: use name=, label=, dangling= or driver=`);
  }
  return out;
}

/** Register `volume`. */
export function register(program: Command): void {
  const volume = program.command('volume').description('manage named volumes (directories in the store, mounted with -v NAME:/path or --mount type=volume)');
  volume.command('create')
    .description('create a volume (named at random if no name is given); prints its name')
    .argument('[name]', 'volume name: letters, digits, _ . - (starting with a letter or digit)')
    .option('-d, --driver <driver>', 'volume driver: only local', 'local')
    .option('-l, --label <KEY=VALUE>', 'label (repeatable)', collect, [])
    .option('-o, --opt <KEY=VALUE>', 'driver option: none is supported by the local driver here (refused)', collect, [])
    .option('--ignore', 'if the volume exists, do nothing and print its name')
    .action((name: string | undefined, opts: { driver: string; label: string[]; opt: string[]; ignore?: boolean }, c: Command) => {
      if (opts.driver !== 'local') throw new CliExit(ExitCode.RUNTIME, `volume driver ${opts.driver} is not supported: only local`);
      if (opts.opt.length) throw new CliExit(ExitCode.RUNTIME, `volume option ${opts.opt[0]} is not supported: a volume is a directory in the store (no device or tmpfs mounts)`);
      try {
        const v = volumesFromCommand(c).create(name ?? randomBytes(32).toString('hex'), { labels: keyValues(opts.label), ignore: opts.ignore });
        process.stdout.write(`${v.Name}\n`);
      } catch (err) {
        cliError(err);
      }
    });
  volume.command('ls').alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'print only the names')
    .option('-f, --filter <KEY=VALUE>', 'name=, label=KEY[=VALUE], dangling=true|false, driver= (repeatable)', collect, [])
    .option('--format <format>', 'json, or a Go template over Name, Driver, Mountpoint, CreatedAt, Labels, Options, Scope')
    .option('--noheading', 'do not print the header')
    .action((opts: { quiet?: boolean; filter: string[]; format?: string; noheading?: boolean }, c: Command) => {
      const sources = mountSources(c);
      const vols = filterVolumes(volumesFromCommand(c).list(), opts.filter, (v) => usersOf(v, sources));
      if (printReport(opts.format, vols, vols as unknown as Record<string, unknown>[], FIELDS, { Name: 'VOLUME NAME' }, '{{.Name}}')) return;
      if (opts.quiet) {
        process.stdout.write(vols.map((v) => `${v.Name}\n`).join(''));
        return;
      }
      const rows = vols.map((v) => [v.Driver, v.Name]);
      if (opts.noheading && rows.length === 0) return;
      printTable(opts.noheading ? rows : [['DRIVER', 'VOLUME NAME'], ...rows]);
    });
  volume.command('inspect')
    .description('show volumes as JSON (podman\'s keys), or through a Go template')
    .argument('[names...]', 'volume names')
    .option('-a, --all', 'every volume')
    .option('-f, --format <format>', 'json (the default), or a Go template such as \'{{.Mountpoint}}\'')
    .action((names: string[], opts: { all?: boolean; format?: string }, c: Command) => {
      const store = volumesFromCommand(c);
      if (!opts.all && names.length === 0) throw new CliExit(ExitCode.RUNTIME, 'volume inspect needs a volume name, or -a');
      let vols: VolumeInfo[];
      try {
        vols = opts.all ? store.list() : names.map((n) => store.find(n));
      } catch (err) {
        cliError(err);
      }
      if (opts.format !== undefined && opts.format !== 'json' && printReport(opts.format, vols, vols as unknown as Record<string, unknown>[], FIELDS)) return;
      process.stdout.write(JSON.stringify(vols, null, 4) + '\n');
    });
  volume.command('rm').alias('remove')
    .description('remove volumes and their content (exit 1: a volume does not exist; 2: a container uses it)')
    .argument('[names...]', 'volume names')
    .option('-a, --all', 'every volume')
    .option('-f, --force', 'remove the containers that use the volume first')
    .action(async (names: string[], opts: { all?: boolean; force?: boolean }, c: Command) => {
      const store = volumesFromCommand(c);
      if (!opts.all && names.length === 0) throw new CliExit(ExitCode.RUNTIME, 'volume rm needs a volume name, or -a');
      const sources = mountSources(c);
      let missing = false;
      let inUse = false;
      for (const n of opts.all ? store.list().map((v) => v.Name) : names) {
        let v: VolumeInfo;
        try {
          v = store.find(n);
        } catch (err) {
          if (err instanceof VolumeError) {
            process.stderr.write(`wasmvisor: ${err.message}\n`);
            if (err.code === 'NOT_FOUND') missing = true;
            else throw new CliExit(ExitCode.RUNTIME);
            continue;
          }
          throw err;
        }
        const users = usersOf(v, sources);
        if (users.length > 0 && !opts.force) {
          process.stderr.write(`wasmvisor: volume ${n} is being used by the following container(s): ${users.join(', ')}: remove them first, or volume rm -f\n`);
          inUse = true;
          continue;
        }
        for (const id of users) await deleteContainer(containersRoot(c), id, { force: true });
        store.remove(n);
        process.stdout.write(`${n}\n`);
      }
      if (inUse) throw new CliExit(2);
      if (missing) throw new CliExit(1);
    });
  volume.command('prune')
    .description('remove every volume no container uses')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <KEY=VALUE>', 'only volumes matching: name=, label= (repeatable)', collect, [])
    .action(async (opts: { force?: boolean; filter: string[] }, c: Command) => {
      const store = volumesFromCommand(c);
      const sources = mountSources(c);
      const unused = filterVolumes(store.list(), opts.filter, (v) => usersOf(v, sources)).filter((v) => usersOf(v, sources).length === 0);
      if (!opts.force) {
        if (!(await confirm(`WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n${unused.map((v) => `${v.Name}\n`).join('')}Are you sure you want to continue? [y/N] `))) return;
      }
      for (const v of unused) {
        store.remove(v.Name);
        process.stdout.write(`${v.Name}\n`);
      }
    });
}
