/**
 * From an image's config, manifest and layer trees to the process `run
 * IMAGE` starts: argv from the config's Entrypoint and Cmd (as Docker and
 * podman combine them), env, working directory and user, and the
 * WebAssembly module argv[0] names, found in the image's merged layers:
 * through `$PATH` when it has no slash, then as a path (relative to the
 * working directory); symlinks are followed inside the rootfs only
 * (`lookupMerged`). A Wasm OCI artifact without an Entrypoint or Cmd runs
 * its module layer, with the arguments given. Isomorphic (no node:*): the
 * playground page runs it too; manifest_run.ts re-exports it.
 */
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import { mergeEnv } from '../content/image_config.js';
import { lookupMerged, readLayerFile } from '../snapshot/merged_lookup.js';
import type { ImageConfig, ImageManifest } from '../content/manifest.js';
import { WASM_LAYER_TYPES } from '../content/media_types.js';
import { wasmLayerName } from '../snapshot/unpack_wasm.js';
import { CodedError } from '../../coded_error.js';

/** The PATH used when the image sets none (podman's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Stable codes of {@link ImageRunError}; the CLI maps them to 125, 127 and 126. */
export type ImageRunErrorCode = 'NO_COMMAND' | 'NOT_FOUND' | 'NOT_WASM';

/** The image cannot be run as asked; the message names the file or what is missing. */
export class ImageRunError extends CodedError<ImageRunErrorCode> {
  override readonly name = 'ImageRunError';
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
