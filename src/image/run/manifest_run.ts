/**
 * From an image to the process `run IMAGE` starts: argv from the config's
 * Entrypoint and Cmd (as Docker and podman combine them), env, working
 * directory and user, and the WebAssembly module argv[0] names, found in
 * the image's merged layers: through `$PATH` when it has no slash, then as
 * a path (relative to the working directory); symlinks are followed inside
 * the rootfs only (`lookupMerged`, shared with `-u`'s /etc/passwd lookup). A
 * Wasm OCI artifact without an Entrypoint or Cmd runs its module layer,
 * with the arguments after the image name. The kernel is not involved: this
 * reads the layer trees.
 */
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import { mergeEnv } from '../content/image_config.js';
import { lookupMerged, readLayerFile } from '../snapshot/merged_lookup.js';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from '../content/manifest.js';
import { findImage } from '../content/manifest_store.js';
import { WASM_LAYER_TYPES } from '../content/media_types.js';
import type { Progress } from '../transport/progress.js';
import { parseReference } from '../reference/reference.js';
import type { Transport } from '../transport/transport.js';
import { prepareImage } from '../snapshot/snapshot_image.js';
import { StoreError, type Store } from '../content/store_root.js';
import { wasmLayerName } from '../snapshot/unpack_wasm.js';

/** The PATH used when the image sets none (podman's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Stable codes of {@link ImageRunError}; the CLI maps them to 125, 127 and 126. */
export type ImageRunErrorCode = 'NO_COMMAND' | 'NOT_FOUND' | 'NOT_WASM';

/** The image cannot be run as asked; the message names the file or what is missing. */
export class ImageRunError extends Error {
  constructor(readonly code: ImageRunErrorCode, message: string) {
    super(message);
    this.name = 'ImageRunError';
  }
}

/** What the command line overrides (podman's `--entrypoint`, args after IMAGE, `-e`, `-w`, `-u`). */
export interface RunOverrides {
  /** `--entrypoint`: replaces the image's Entrypoint and drops its Cmd. */
  entrypoint?: string[];
  /** Arguments after IMAGE: replace Cmd. */
  args?: string[];
  /** `KEY=VALUE` entries added to (and overriding) the image's Env. */
  env?: string[];
  workdir?: string;
  user?: string;
}

/** The process to start. */
export interface ImageProcess {
  /** argv as given to the program (argv[0] as the image or user spelled it). */
  argv: string[];
  env: string[];
  workdir: string;
  user?: string;
  /** Absolute path of the module in the rootfs. */
  path: string;
  /** The module's bytes. */
  bytes: Uint8Array;
}

/** Join `p` onto directory `dir` (absolute result). */
function joinPath(dir: string, p: string): string {
  return p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`;
}

/**
 * The process `run IMAGE` starts, from the image's `config`, its `manifest`
 * (for the Wasm artifact default) and its layer trees, top first (as the
 * overlay stacks them: `prepareImage(...).lowers`).
 */
export function imageProcess(config: ImageConfig, manifest: ImageManifest, lowers: readonly LayerTree[], o: RunOverrides = {}): ImageProcess {
  const rc = config.config ?? {};
  const entrypoint = o.entrypoint ?? rc.Entrypoint ?? [];
  const cmd = o.args && o.args.length > 0 ? o.args : o.entrypoint !== undefined ? [] : rc.Cmd ?? [];
  let argv = [...entrypoint, ...cmd];
  const wasm = manifest.layers.filter((l) => WASM_LAYER_TYPES.has(l.mediaType));
  if (entrypoint.length === 0 && !(rc.Cmd && rc.Cmd.length > 0) && wasm.length > 0) {
    // a Wasm artifact with no command of its own: run its module, with the arguments given
    argv = [`/${wasmLayerName(wasm[wasm.length - 1])}`, ...argv];
  }
  if (argv.length === 0 || argv[0] === '') {
    throw new ImageRunError('NO_COMMAND', 'the image has no Entrypoint or Cmd: give the program to run after the image name, or --entrypoint');
  }
  const env = mergeEnv(rc.Env ?? [], o.env ?? []);
  const workdir = o.workdir || rc.WorkingDir || '/';
  const name = argv[0];
  const candidates: string[] = [];
  if (!name.includes('/')) {
    const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
    for (const dir of pathVar.split(':')) if (dir) candidates.push(joinPath(joinPath(workdir, dir), name));
  }
  candidates.push(joinPath(workdir, name));
  for (const c of candidates) {
    const hit = lookupMerged(lowers, c);
    if (!hit || hit.node.kind !== 'file') continue;
    const bytes = readLayerFile(hit.node);
    if (!isWasm(bytes)) throw new ImageRunError('NOT_WASM', `${name} (${hit.path} in the image) is not a WebAssembly module`);
    const user = o.user ?? (rc.User || undefined);
    return { argv, env, workdir, user, path: hit.path, bytes };
  }
  throw new ImageRunError(
    'NOT_FOUND',
    name.includes('/') ? `${name}: no such file in the image` : `${name}: executable file not found in $PATH of the image`,
  );
}

/** True if the `run` argument names an image rather than a host file: not an existing path, not `*.wasm`, and a valid reference. */
export function looksLikeImage(arg: string, exists: (p: string) => boolean): boolean {
  if (exists(arg) || arg.endsWith('.wasm') || /^(\/|\.\.?\/)/.test(arg)) return false;
  try {
    parseReference(arg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the `run` argument is neither a host file nor an image: the reference
 * parser's message when it is not an existing path, does not look like one
 * (`/…`, `./…`, `../…`, `*.wasm`) and does not parse as a reference;
 * undefined otherwise (a path-looking argument that is absent stays "no such
 * file").
 */
export function referenceFault(arg: string, exists: (p: string) => boolean): string | undefined {
  if (exists(arg) || arg.endsWith('.wasm') || /^(\/|\.\.?\/)/.test(arg)) return undefined;
  try {
    parseReference(arg);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** How `run IMAGE` gets the image. */
export interface PrepareRunOptions {
  /** `missing` (default, as podman): pull if absent; `always`; `never`. */
  pull?: 'missing' | 'always' | 'never';
  /**
   * Where an image not in the store comes from, tried in order until one
   * has it (e.g. the bundled samples, then the registry); a transport that
   * is a cached copy (the samples) is skipped under `always`.
   */
  transports: readonly Transport[];
  platforms?: readonly Platform[];
  progress?: Progress;
  /** Recorded on every snapshot used (e.g. `container:<id>`). */
  owner?: string;
}

/** What `runWasm` needs to start the image's process, plus the process description. */
export interface PreparedRun {
  process: ImageProcess;
  /** The image's layer trees, top first (runWasm's `lowers`). */
  lowers: LayerTree[];
  /** The stored name that was run. */
  name: string;
  /** The platform manifest that was run (`run -d` hands it on, so the sandbox process prepares the same one without resolving the name again). */
  manifest: Descriptor;
}

/** Find (pulling per `opts.pull`, through `opts.transports`) and prepare `input`, and work out its process. */
export async function prepareRun(store: Store, input: string, o: RunOverrides, opts: PrepareRunOptions): Promise<PreparedRun> {
  const policy = opts.pull ?? 'missing';
  let rec = policy === 'always' ? undefined : await findImage(store, input).catch((err: unknown) => {
    if (err instanceof StoreError && err.code === 'IMAGE_NOT_FOUND' && policy === 'missing') return undefined;
    throw err;
  });
  if (!rec) {
    const ref = parseReference(input); // parsed once, carried to every transport
    for (const t of opts.transports) {
      if (t.cached && policy !== 'missing') continue;
      if (t.cached && (await t.resolve(ref)).length === 0) continue;
      const got = await t.pull(store, ref, { platforms: opts.platforms, progress: opts.progress });
      if (got.length === 0) continue;
      rec = await findImage(store, got[0].name);
      break;
    }
    if (!rec) throw new StoreError('IMAGE_NOT_FOUND', `image ${input} is not in the store and no transport has it; pull it first (wasmvisor pull ${input})`);
  }
  const prepared = await prepareImage(store, rec, { platforms: opts.platforms, owner: opts.owner });
  const proc = imageProcess(prepared.image.config, prepared.image.manifest, prepared.lowers, o);
  return { process: proc, lowers: prepared.lowers, name: rec.name, manifest: prepared.image.manifestDesc };
}
