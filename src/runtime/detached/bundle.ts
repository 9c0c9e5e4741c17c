/**
 * An OCI bundle as containerd hands it over: `config.json` and the root
 * filesystem it names (`root.path`, relative to the bundle, already
 * mounted). The module to run is `process.args[0]` resolved inside that
 * root. The config is checked by the runtime's own `toContainerSpec` and
 * `toProcess`, so a bad bundle fails before any state exists.
 */
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { toProcess, toContainerSpec, type OciConfig, type OciMount, type OciProcess } from '../config.js';
import { ContainerError } from '../status.js';
import { DetachedError } from './state.js';


/** A checked bundle. */
export interface Bundle {
  /** Absolute bundle directory. */
  dir: string;
  config: OciConfig;
  /** Absolute root filesystem directory; null for an in-memory root (a module given by host path, without `root.path`). */
  rootfs: string | null;
  /** Host path of the init module; null for a pod sandbox (see `isPodSandbox`), which runs none. */
  modulePath: string | null;
  /**
   * The network namespace the config joins by path (a pod's, made by CNI):
   * the sandbox process is started in it (`nsenter --net`), so published
   * ports listen there. Absent: the caller's.
   */
  netns?: string;
}

/** Annotations by which CRI runtimes (containerd, CRI-O) mark a pod's sandbox container. */
const SANDBOX_ANNOTATIONS = ['io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType'];

/**
 * A Kubernetes pod sandbox: the "pause" container CRI creates first to
 * hold the pod's namespaces. Its image runs a native `/pause`; here it is
 * an idle container (no module, no kernel) that waits to be killed.
 */
export function isPodSandbox(config: OciConfig): boolean {
  return SANDBOX_ANNOTATIONS.some((a) => config.annotations?.[a] === 'sandbox');
}

/** Host path of `args[0]` inside `rootfs`: a regular file that stays inside it after symlinks. */
export function resolveModule(rootfs: string, p: OciProcess | undefined): string {
  const argv0 = p?.args?.[0];
  if (!argv0) throw new DetachedError('BAD_BUNDLE', 'config.json: process.args is empty: name the .wasm module to run, e.g. ["/hello.wasm"]');
  const inRoot = join(rootfs, argv0.startsWith('/') ? argv0 : join(p?.cwd ?? '/', argv0));
  let real: string;
  try {
    real = realpathSync(inRoot);
  } catch {
    throw new DetachedError('BAD_BUNDLE', `${argv0}: no such file in the container's root ${rootfs}`);
  }
  const rel = relative(realpathSync(rootfs), real);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new DetachedError('BAD_BUNDLE', `${argv0}: resolves outside the container's root`);
  if (!statSync(real).isFile()) throw new DetachedError('BAD_BUNDLE', `${argv0}: not a regular file (a .wasm module is needed)`);
  checkWasm(real, argv0);
  return real;
}

/** A bind mount as runc tells one: type `bind`, or a `bind`/`rbind` option whatever the type (our `none` binds too). */
function isBind(m: OciMount): boolean {
  return m.type === 'bind' || m.type === 'none' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/**
 * The config as the sandbox takes it. Mounts on `/dev` and under it are
 * dropped: containerd's default spec puts a tmpfs on /dev (and shm, pts,
 * mqueue inside) for runc to fill with device nodes, while the sandbox's
 * kernel serves /dev itself (null, zero, random, urandom, tty, stdio).
 * A relative `source` of a bind mount is made absolute against `bundleDir`,
 * as runc's specconv joins it with the bundle (runc runs in the bundle
 * directory), never against the cwd of whoever runs wasmvisor-runc.
 * Namespaces to join (by path, as a pod's containers join its sandbox's)
 * are made anew.
 */
export function sandboxConfig(config: OciConfig, bundleDir: string): OciConfig {
  const out: OciConfig = { ...config };
  if (config.mounts) {
    out.mounts = config.mounts
      .filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'))
      .map((m) => (isBind(m) && typeof m.source === 'string' && m.source !== '' && !isAbsolute(m.source) ? { ...m, source: resolve(bundleDir, m.source) } : m));
  }
  let ns = config.linux?.namespaces;
  // a namespace to join (a pod's, by path) becomes a new one of the same type: WASI programs have no
  // sockets or SysV IPC to share, and the hostname is in each container's own config
  if (ns?.some((n) => n.path !== undefined)) ns = ns.map((n) => ({ type: n.type }));
  // containerd's host-network pods share the host's UTS namespace yet name a hostname (the node's, from
  // the kubelet): the sandbox's kernel always has a UTS namespace of its own, which gets that name
  if (ns && ns.length > 0 && config.hostname !== undefined && !ns.some((n) => n.type === 'uts')) ns = [...ns, { type: 'uts' }];
  if (ns !== config.linux?.namespaces) out.linux = { ...config.linux, namespaces: ns };
  return out;
}

/** Throw BAD_BUNDLE unless the file at `path` starts as a WebAssembly module. */
function checkWasm(path: string, name: string): void {
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  if (!isWasm(head)) {
    throw new DetachedError('BAD_BUNDLE', `${name}: not a WebAssembly module (wasmvisor runs .wasm programs; process.args[0] must name one)`);
  }
}

/**
 * Read and check `dir/config.json`; throws BAD_BUNDLE with a one-line
 * reason. `module`: a host path to run instead of `process.args[0]` in the
 * root (as `wasmvisor run -d FILE.wasm` gives); the root is then optional
 * (no `root.path`: an in-memory root).
 */
export function loadBundle(dir: string, module?: string): Bundle {
  const abs = resolve(dir);
  let text: string;
  try {
    text = readFileSync(join(abs, 'config.json'), 'utf8');
  } catch (err) {
    throw new DetachedError('BAD_BUNDLE', `cannot read ${join(abs, 'config.json')}: ${(err as Error).message.split('\n')[0]} (is --bundle the bundle directory?)`);
  }
  let parsed: OciConfig;
  try {
    parsed = JSON.parse(text) as OciConfig;
  } catch (err) {
    throw new DetachedError('BAD_BUNDLE', `${join(abs, 'config.json')} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DetachedError('BAD_BUNDLE', `${join(abs, 'config.json')} must hold a JSON object`);
  }
  const config = sandboxConfig(parsed, abs);
  try {
    toContainerSpec(config);
    toProcess(config.process, 'null', 'main.wasm');
  } catch (err) {
    if (err instanceof ContainerError) throw new DetachedError('BAD_BUNDLE', err.message);
    throw err;
  }
  if (module !== undefined) checkWasm(module, module);
  const netns = parsed.linux?.namespaces?.find((n) => n.type === 'network' && typeof n.path === 'string' && n.path !== '')?.path;
  if (module !== undefined && config.root?.path === undefined) return { dir: abs, config, rootfs: null, modulePath: module, ...(netns ? { netns } : {}) };
  const rootfs = resolve(abs, config.root?.path ?? 'rootfs');
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new DetachedError('BAD_BUNDLE', `root.path ${rootfs} is not a directory: create it (containerd mounts the image there)`);
  }
  return { dir: abs, config, rootfs, modulePath: module ?? (isPodSandbox(config) ? null : resolveModule(rootfs, config.process)), ...(netns ? { netns } : {}) };
}
