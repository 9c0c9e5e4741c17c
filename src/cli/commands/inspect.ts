/**
 * `wasmvisor inspect [-f FORMAT] IMAGE | docker://REF`: show a local image,
 * or a registry's without pulling its layers, as JSON or through a Go
 * template over the same document (`{{.Config.Entrypoint}}`, `{{.Os}}`).
 */
import type { Command } from 'commander';
import { inspectLocal, inspectRemote } from '../../image/content/manifest_inspect.js';
import { findImage, readManifest } from '../../image/content/manifest_store.js';
import { parsePlatform } from '../../image/reference/platform.js';
import { addRegistryFlags, clientFromFlags, storeFromCommand, type RegistryFlags } from '../registry_setup.js';
import { printFormatted } from '../go_template.js';
import { CliExit, ExitCode } from '../exit.js';
import { containerConfig, containersRoot, findContainer } from '../containers/store.js';
import { inspectContainer } from '../containers/inspect_container.js';
import type { RuncState } from '../../runtime/detached/state.js';

/** The container `ref` names, or undefined (`must`: 125 "no such container" instead). */
function lookupContainer(root: string, ref: string, must: boolean): RuncState | undefined {
  try {
    return findContainer(root, ref);
  } catch (err) {
    if (must) throw err;
    return undefined;
  }
}

const CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = {
  User: '', ExposedPorts: {}, Env: [], Entrypoint: [], Cmd: [], Volumes: {}, WorkingDir: '', Labels: {}, StopSignal: '',
};

/**
 * The inspect document as a template sees it: fields the image leaves out
 * are present and empty, as in podman's Go structs (`{{.Config.Entrypoint}}`
 * of an image without one prints `[]`, not an error).
 */
export function templateView(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) out[k] = v ?? (k === 'Annotations' || k === 'Labels' ? {} : k === 'History' ? [] : '');
  if (out.Config !== null && typeof out.Config === 'object' && !Array.isArray(out.Config)) {
    out.Config = { ...CONFIG_DEFAULTS, ...(out.Config as Record<string, unknown>) };
  }
  return out;
}

/** Register `inspect`. */
export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('show a container, an image in the store, or with docker:// one in a registry, as JSON')
    .argument('<image>', 'container (id, id prefix or name), local image name or ID, or docker://REFERENCE')
    .option('--type <type>', 'container, image, or all (default: a container of that name first, then an image)', 'all')
    .option('--raw', 'print the manifest or index exactly as stored or served')
    .option('--platform <os/arch[/variant]>', 'platform to show from a multi-platform image')
    .option('-f, --format <format>', 'json (the default), or a Go template over the JSON document\'s keys, e.g. \'{{.Config.Entrypoint}}\', \'{{json .Config}}\', \'{{index .Config.Labels "k"}}\'');
  addRegistryFlags(cmd).action(async (image: string, opts: RegistryFlags & { raw?: boolean; platform?: string; format?: string; type: string }, c: Command) => {
    if (!['all', 'container', 'image'].includes(opts.type)) throw new CliExit(ExitCode.RUNTIME, `invalid --type ${opts.type}: use container, image or all`);
    if (opts.type !== 'image' && !image.startsWith('docker://')) {
      const st = lookupContainer(containersRoot(c), image, opts.type === 'container');
      if (st) {
        const doc = inspectContainer(st, containerConfig(containersRoot(c), st.id));
        if (opts.format !== undefined && opts.format !== 'json') printFormatted(opts.format, [doc], Object.keys(doc));
        else process.stdout.write(JSON.stringify([doc], null, 4) + '\n');
        return;
      }
    }
    const platforms = opts.platform ? [parsePlatform(opts.platform)] : undefined;
    const template = opts.format !== undefined && opts.format !== 'json' ? opts.format : undefined;
    if (template !== undefined && opts.raw) throw new CliExit(ExitCode.RUNTIME, '--raw prints the stored bytes: it cannot be used with --format');
    if (image.startsWith('docker://')) {
      const out = await inspectRemote(clientFromFlags(opts), image.slice('docker://'.length), { raw: opts.raw, platforms });
      if (template !== undefined && !Buffer.isBuffer(out)) {
        printFormatted(template, [templateView(out as Record<string, unknown>)], Object.keys(out));
        return;
      }
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
    const doc = await inspectLocal(store, rec, platforms);
    if (template !== undefined) {
      printFormatted(template, [templateView(doc)], Object.keys(doc));
      return;
    }
    process.stdout.write(JSON.stringify([doc], null, 4) + '\n');
  });
}
