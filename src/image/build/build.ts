/**
 * `wasmvisor build`: an image from a Containerfile, as buildah builds a
 * scratch-based one. Stages (stages.ts): each `FROM scratch|IMAGE|STAGE
 * [AS NAME]` starts one; the last (or `target`) becomes the image, and only
 * the stages it needs are built. COPY and ADD (host files from the context,
 * ADD also unpacks local tars; `COPY --from=STAGE|INDEX|IMAGE` copies out of
 * an earlier stage's or an image's files, copy_from.ts; `--chown`,
 * `--chmod`), RUN (a WASI program of the image so far, run in a
 * build container over its layers; its upper layer becomes the step's
 * layer), ENV, ARG, WORKDIR, ENTRYPOINT, CMD, LABEL, USER, EXPOSE (config).
 * The shell form of RUN, CMD and ENTRYPOINT is split into words (quotes
 * honoured): there is no shell in a Wasm image.
 *
 * Deterministic: every mtime and `created` is `timestamp` (default
 * $SOURCE_DATE_EPOCH, else 0), tars are sorted, gzip has no name or time,
 * so the same Containerfile, context, base and build args give the same
 * image digest. Layer steps are cached by (parent chain, instruction,
 * content of its sources (for COPY --from: of the files copied), env and args): `STORE/build-cache/KEY.json`
 * holds the layer; a hit is reported `--> Using cache KEY` and nothing
 * runs. A cache entry whose blob was pruned is a miss.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import { runWasm } from '../../runtime/run_wasm.js';
import type { Digest } from '../content/digest.js';
import type { Descriptor, ImageConfig, ImageManifest, ImageRuntimeConfig } from '../content/manifest.js';
import { mergeEnv } from '../content/image_config.js';
import { resolveImage, type ResolvedImage } from '../content/manifest_store.js';
import { MediaType } from '../content/media_types.js';
import type { Store } from '../content/store_root.js';
import { imageProcess, ImageRunError } from '../run/image_process.js';
import { sharedSnapshots } from '../snapshot/snapshot_image.js';
import { baseParts, putLayer, writeImage, type WrittenImage } from './commit_layer.js';
import { BuildError, execForm, keyValues, parseContainerfile, substitute, words, type Instruction } from './containerfile.js';
import { archiveEntries, copyLayer } from './build_copy.js';
import { copyFromLayers, ownEntries } from './copy_from.js';
import { copyFlags, neededStages, splitStages, stageRef, type StageSpec } from './stages.js';
import type { TarEntry } from './tar_writer.js';
import { upperEntries } from './upper_layer.js';
import { writeTar } from './tar_writer.js';

export { BuildError } from './containerfile.js';

/** Options of {@link buildImage}. */
export interface BuildOptions {
  /** The Containerfile's text. */
  containerfile: string;
  /** The build context directory (COPY and ADD sources). */
  context: string;
  tags?: readonly string[];
  buildArgs?: ReadonlyMap<string, string>;
  /** Seconds since the epoch of every mtime and `created` (default $SOURCE_DATE_EPOCH, else 0). */
  timestamp?: number;
  /** Skip the cache (still fill it). */
  noCache?: boolean;
  /** Progress lines (`STEP 1/4: FROM scratch`, `--> Using cache …`). */
  log?: (line: string) => void;
  /** Fetch a FROM image that is not in the store (the CLI pulls it); resolves when it is there. */
  pull?: (name: string) => Promise<void>;
  /** The uid/gid a USER spec means in the layers (names need /etc/passwd); default: numeric ids only. */
  resolveUser?: (spec: string, lowers: readonly LayerTree[]) => { uid: number; gid: number };
  /** Memory budget of each RUN (bytes). */
  memoryLimit?: number;
  /** The stage (its AS name) that becomes the image, instead of the last. */
  target?: string;
}

interface Layer {
  desc: Descriptor;
  diffId: Digest;
}

/** What the build has made so far. */
interface State {
  base?: ResolvedImage;
  baseLayers: Descriptor[];
  baseDiffIds: Digest[];
  layers: Layer[];
  runtime: ImageRuntimeConfig;
  steps: { createdBy: string; layer?: Layer }[];
  /** Cache chain key of the steps so far. */
  chain: string;
}

function numericUser(spec: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new BuildError('UNSUPPORTED', `USER ${spec}: a RUN after it needs numeric ids here (UID[:GID])`);
  return { uid: Number(m[1]), gid: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Build the image; resolves to what was written (named `tags`). */
export async function buildImage(store: Store, o: BuildOptions): Promise<WrittenImage> {
  const log = o.log ?? (() => {});
  const epoch = o.timestamp ?? (process.env.SOURCE_DATE_EPOCH && /^\d+$/.test(process.env.SOURCE_DATE_EPOCH) ? Number(process.env.SOURCE_DATE_EPOCH) : 0);
  const created = new Date(epoch * 1000).toISOString();
  const all = parseContainerfile(o.containerfile);
  const fromAt = all.findIndex((i) => i.keyword === 'FROM');
  if (fromAt < 0) throw new BuildError('SYNTAX', 'the Containerfile has no FROM (start with FROM scratch or FROM IMAGE)');
  const vars = new Map<string, string>();
  const buildArgs = o.buildArgs ?? new Map();
  for (const i of all.slice(0, fromAt)) {
    if (i.keyword !== 'ARG') throw new BuildError('SYNTAX', `line ${i.line}: only ARG may come before FROM, not ${i.keyword}`);
    declareArg(i, vars, buildArgs);
  }
  const stages = splitStages(all.slice(fromAt), vars);
  let target = stages.length - 1;
  if (o.target !== undefined) {
    const t = stages.find((x) => x.name === o.target!.toLowerCase());
    const named = stages.filter((x) => x.name !== undefined).map((x) => x.name);
    if (t === undefined) throw new BuildError('STAGE', `--target ${o.target}: no stage of that name (${named.length ? `stages: ${named.join(', ')}` : 'name stages with FROM IMAGE AS NAME'})`);
    target = t.index;
  }
  const b: Build = { store, o, log, epoch, vars, buildArgs, cacheDir: path.join(store.root, 'build-cache'), stages, done: [], images: new Map() };
  for (const i of [...neededStages(stages, target, vars)].sort((x, y) => x - y)) await stageState(b, i);
  const s = b.done[target]!;
  log(`COMMIT ${o.tags?.join(' ') ?? ''}`.trimEnd());
  return writeImage(store, {
    base: s.base, runtime: s.runtime, created, tags: o.tags, source: 'build',
    steps: s.steps.map((x) => ({ createdBy: x.createdBy, layer: x.layer })),
  });
}

/** What every stage of one build shares. */
interface Build {
  store: Store;
  o: BuildOptions;
  log: (line: string) => void;
  epoch: number;
  /** ARGs declared before the first FROM. */
  vars: Map<string, string>;
  buildArgs: ReadonlyMap<string, string>;
  cacheDir: string;
  stages: StageSpec[];
  /** Built stages, by index. */
  done: State[];
  /** Images named by COPY --from, resolved once. */
  images: Map<string, State>;
}

/** Stage `i`, built on first use. */
async function stageState(b: Build, i: number): Promise<State> {
  b.done[i] ??= await buildStage(b, b.stages[i]!);
  return b.done[i]!;
}

/** A copy of a built stage for a stage that starts FROM it. */
function cloneState(s: State): State {
  return { base: s.base, baseLayers: [...s.baseLayers], baseDiffIds: [...s.baseDiffIds], layers: [...s.layers], runtime: structuredClone(s.runtime), steps: [...s.steps], chain: s.chain };
}

/** Build one stage: its FROM, then each instruction. */
async function buildStage(b: Build, spec: StageSpec): Promise<State> {
  const { log } = b;
  const prefix = b.stages.length > 1 ? `[${spec.index + 1}/${b.stages.length}] ` : '';
  const total = spec.body.length + 1;
  const fromWhere = `${prefix}STEP 1/${total}: ${spec.from.text}`;
  log(fromWhere);
  const earlier = spec.base === 'scratch' ? undefined : stageRef(b.stages, spec.base, spec.index, fromWhere);
  const s = earlier ? cloneState(await stageState(b, earlier.index)) : await from(b.store, spec.base, fromWhere, b.o);
  const vars = b.vars;
  const argVars = new Map<string, string>(); // ARGs declared in this stage (RUN sees them in its env)
  for (const [n, ins] of spec.body.entries()) {
    const where = `${prefix}STEP ${n + 2}/${total}: ${ins.text}`;
    log(where);
    const env = (): Map<string, string> => new Map([...vars, ...argVars, ...(s.runtime.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string])]);
    const sub = (t: string): string => substitute(t, env(), where);
    const config = (createdBy: string) => { s.steps.push({ createdBy }); s.chain = hash(s.chain, createdBy); };
    switch (ins.keyword) {
      case 'ARG':
        declareArg(ins, argVars, b.buildArgs);
        s.chain = hash(s.chain, `ARG ${[...argVars].join('\0')}`);
        break;
      case 'ENV':
        s.runtime.Env = mergeEnv(s.runtime.Env ?? [], keyValues(ins.args, where, true).map(([k, v]) => `${k}=${sub(v)}`));
        config(`ENV ${ins.args}`);
        break;
      case 'LABEL':
        s.runtime.Labels = { ...(s.runtime.Labels ?? {}), ...Object.fromEntries(keyValues(ins.args, where, false).map(([k, v]) => [sub(k), sub(v)])) };
        config(`LABEL ${ins.args}`);
        break;
      case 'WORKDIR': {
        const w = sub(ins.args);
        s.runtime.WorkingDir = path.posix.resolve(s.runtime.WorkingDir || '/', w);
        config(`WORKDIR ${s.runtime.WorkingDir}`);
        break;
      }
      case 'USER':
        s.runtime.User = sub(ins.args);
        config(`USER ${s.runtime.User}`);
        break;
      case 'EXPOSE':
        for (const p of words(sub(ins.args), where)) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(p)) throw new BuildError('SYNTAX', `${where}: ${p} is not PORT[/tcp|udp]`);
          s.runtime.ExposedPorts = { ...(s.runtime.ExposedPorts ?? {}), [p.includes('/') ? p : `${p}/tcp`]: {} };
        }
        config(`EXPOSE ${ins.args}`);
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = execForm(ins.args, where) ?? words(ins.args, where);
        if (ins.keyword === 'CMD') s.runtime.Cmd = argv;
        else {
          s.runtime.Entrypoint = argv;
          delete s.runtime.Cmd;
        }
        config(`${ins.keyword} ${JSON.stringify(argv)}`);
        break;
      }
      case 'COPY':
      case 'ADD': {
        const ws = words(sub(ins.args), where);
        const flags = copyFlags(ws, ins.keyword, where);
        if (ws.length < 2) throw new BuildError('SYNTAX', `${where}: needs SOURCE... DEST`);
        if (ins.keyword === 'ADD' && ws.some((w) => /^https?:\/\//.test(w))) throw new BuildError('UNSUPPORTED', `${where}: ADD of a URL is not supported: download it into the context first`);
        const destRaw = ws[ws.length - 1]!;
        const dest = path.posix.resolve(s.runtime.WorkingDir || '/', destRaw) + (destRaw.endsWith('/') ? '/' : '');
        let entries: TarEntry[] | undefined;
        let tar: Uint8Array | undefined;
        let inputs: string;
        if (flags.from !== undefined) {
          const src = await fromSource(b, spec, flags.from, where);
          ({ entries, inputs } = copyFromLayers(await stageLowers(b.store, src.state), ws.slice(0, -1), dest, b.epoch, src.what, where));
        } else ({ tar, inputs } = await copyLayer(b.o.context, ws.slice(0, -1), dest, ins.keyword === 'ADD', b.epoch, where));
        if (flags.chown !== undefined || flags.chmod !== undefined) {
          const owner = flags.chown === undefined ? undefined : await chownIds(b, s, flags.chown, where);
          entries = ownEntries(entries ?? await archiveEntries(tar!, ''), dest, owner, flags.chmod);
          inputs = hash(inputs, JSON.stringify(owner ?? null), String(flags.chmod ?? ''));
        }
        const layer = entries !== undefined ? writeTar(entries) : tar!;
        await layerStep(b.store, s, `${ins.keyword} ${ins.args}`, hash(s.chain, ins.text, inputs), async () => layer, b.cacheDir, b.o, b.log);
        break;
      }
      case 'RUN': {
        const argv = execForm(ins.args, where) ?? words(ins.args, where);
        if (argv.length === 0) throw new BuildError('SYNTAX', `${where}: needs a program to run`);
        const runEnv = mergeEnv([...argVars].map(([k, v]) => `${k}=${v}`), s.runtime.Env ?? []);
        const key = hash(s.chain, ins.text, JSON.stringify(runEnv), s.runtime.WorkingDir ?? '', s.runtime.User ?? '');
        await layerStep(b.store, s, `RUN ${JSON.stringify(argv)}`, key, () => runStep(b.store, s, argv, runEnv, b.epoch, where, b.o), b.cacheDir, b.o, b.log);
        break;
      }
      case 'MAINTAINER':
        config(`MAINTAINER ${ins.args}`);
        break;
      case 'STOPSIGNAL':
        s.runtime.StopSignal = sub(ins.args);
        config(`STOPSIGNAL ${ins.args}`);
        break;
      default:
        throw new BuildError('UNSUPPORTED', `${where}: ${ins.keyword} is not supported (FROM, COPY, ADD, RUN, ENV, ARG, WORKDIR, ENTRYPOINT, CMD, LABEL, USER, EXPOSE, STOPSIGNAL)`);
    }
  }
  return s;
}

/** What `COPY --from=REF` copies out of: an earlier stage, else an image (pulled if it names a registry). */
async function fromSource(b: Build, spec: StageSpec, ref: string, where: string): Promise<{ state: State; what: string }> {
  const st = stageRef(b.stages, ref, spec.index, where);
  if (st !== undefined) return { state: await stageState(b, st.index), what: `stage ${st.name ?? st.index}` };
  let state = b.images.get(ref);
  if (state === undefined) {
    if (!/[/:@]/.test(ref)) {
      // a bare word is a stage name unless the store has an image of that name: never pulled from a default registry
      try {
        await resolveImage(b.store, ref);
      } catch {
        const named = b.stages.filter((x) => x.name !== undefined).map((x) => x.name);
        throw new BuildError('STAGE', `${where}: --from=${ref}: no stage of that name (${named.length ? `stages: ${named.join(', ')}` : 'none is named'}) and no image ${ref} in the store`);
      }
    }
    state = await from(b.store, ref, where, { ...b.o, log: undefined });
    b.images.set(ref, state);
  }
  return { state, what: `image ${ref}` };
}

/** The layer trees of `s` so far, top first (as a container stacks them). */
async function stageLowers(store: Store, s: State): Promise<LayerTree[]> {
  const sources = [...s.baseLayers.map((d, i) => ({ descriptor: d, diffId: s.baseDiffIds[i]! })), ...s.layers.map((l) => ({ descriptor: l.desc, diffId: l.diffId }))];
  return [...(await sharedSnapshots(store).prepare(sources))].reverse();
}

/** The ids `--chown=SPEC` means in stage `s` (names from its /etc/passwd and /etc/group). */
async function chownIds(b: Build, s: State, spec: string, where: string): Promise<{ uid: number; gid: number }> {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  try {
    if (b.o.resolveUser) return b.o.resolveUser(spec, await stageLowers(b.store, s));
    if (m) return { uid: Number(m[1]), gid: m[2] === undefined ? 0 : Number(m[2]) };
    throw new Error('names need the CLI (numeric ids only here)');
  } catch (err) {
    throw new BuildError('SYNTAX', `${where}: --chown=${spec}: ${(err as Error).message}`);
  }
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0\0')).digest('hex');
}

function declareArg(i: Instruction, vars: Map<string, string>, buildArgs: ReadonlyMap<string, string>): void {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(i.args.trim());
  if (!m) throw new BuildError('SYNTAX', `line ${i.line}: ARG needs NAME[=DEFAULT]`);
  const v = buildArgs.get(m[1]!) ?? (m[2] === undefined ? undefined : words(m[2], `line ${i.line}`).join(' '));
  if (v !== undefined) vars.set(m[1]!, v);
}

async function from(store: Store, name: string, where: string, o: BuildOptions): Promise<State> {
  if (name === 'scratch') return { baseLayers: [], baseDiffIds: [], layers: [], runtime: {}, steps: [], chain: hash('scratch') };
  let base: ResolvedImage;
  try {
    base = await resolveImage(store, name);
  } catch (err) {
    if (!o.pull) throw err;
    await o.pull(name);
    base = await resolveImage(store, name);
  }
  let parts;
  try {
    parts = baseParts(base, `${where}:`);
  } catch (err) {
    throw new BuildError('BASE', (err as Error).message);
  }
  return {
    base, baseLayers: parts.layers, baseDiffIds: parts.config?.rootfs?.diff_ids ?? [], layers: [],
    runtime: structuredClone(base.config.config ?? {}), steps: [], chain: hash(base.manifestDesc.digest),
  };
}

/** Cached layer steps: a hit reuses the stored layer, a miss makes it and records it. */
async function layerStep(store: Store, s: State, createdBy: string, key: string, make: () => Promise<Uint8Array>, cacheDir: string, o: BuildOptions, log: (l: string) => void): Promise<void> {
  const file = path.join(cacheDir, `${key}.json`);
  let layer: Layer | undefined;
  if (!o.noCache) {
    try {
      const hit = JSON.parse(readFileSync(file, 'utf8')) as Layer;
      if (await store.content.has(hit.desc.digest)) layer = hit;
    } catch {
      /* a miss */
    }
  }
  if (layer !== undefined) log(`--> Using cache ${key}`);
  else {
    const put = await putLayer(store, await make());
    layer = { desc: put.desc, diffId: put.diffId };
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(layer));
    renameSync(tmp, file);
  }
  log(`--> ${key.slice(0, 12)}`);
  s.layers.push(layer);
  s.steps.push({ createdBy, layer });
  s.chain = key;
}

/** Run `argv` in a build container over the layers so far; resolves to its upper layer as a tar. */
async function runStep(store: Store, s: State, argv: string[], env: string[], epoch: number, where: string, o: BuildOptions): Promise<Uint8Array> {
  const sources = [...s.baseLayers.map((d, i) => ({ descriptor: d, diffId: s.baseDiffIds[i]! })), ...s.layers.map((l) => ({ descriptor: l.desc, diffId: l.diffId }))];
  const trees = await sharedSnapshots(store).prepare(sources);
  const lowers = [...trees].reverse();
  const config: ImageConfig = { architecture: 'wasm', os: 'wasip1', config: { ...s.runtime, Env: env } };
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config: { mediaType: MediaType.OCI_CONFIG, digest: `sha256:${'0'.repeat(64)}` as Digest, size: 0 }, layers: sources.map((x) => x.descriptor) };
  let proc;
  try {
    proc = imageProcess(config, manifest, lowers, { entrypoint: argv });
  } catch (err) {
    if (err instanceof ImageRunError) throw new BuildError('RUN', `${where}: ${err.message}`, err.code === 'NOT_FOUND' ? 127 : err.code === 'NOT_WASM' ? 126 : 125);
    throw err;
  }
  const user = s.runtime.User ? (o.resolveUser ?? ((u) => numericUser(u)))(s.runtime.User, lowers) : undefined;
  let tar: Uint8Array | undefined;
  const r = await runWasm({
    bytes: proc.bytes.slice(), argv0: proc.argv[0], args: proc.argv.slice(1), env: proc.env, lowers, workdir: proc.workdir, user,
    stdin: 'null', memoryLimit: o.memoryLimit, hostname: 'buildkitsandbox',
    onUpper: (upper, baseline) => { tar = writeTar(upperEntries(upper, { baseline, mtime: epoch })); },
  });
  if (r.exitCode !== 0) throw new BuildError('RUN', `${where}: the program exited with status ${r.exitCode}${r.status.reason ? ` (${r.status.reason})` : ''}`, r.exitCode);
  return tar ?? writeTar([]);
}
