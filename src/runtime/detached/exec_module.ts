/**
 * The module an exec runs in a detached container, found as a shell finds
 * a command: a name with a `/` is a path (relative to the process's cwd);
 * a bare name is looked up in each directory of the process's `PATH`
 * (the image's, or -e's; podman's default when it has none), then, for
 * compatibility with earlier wasmvisor, in the cwd. Lookups read the
 * image's layers or the host directory that is the root. A name found
 * nowhere is NO_MODULE (exit 127), a file that is not WebAssembly
 * NOT_WASM (126).
 */
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import type { OciProcess } from '../config.js';
import { resolveModule } from './bundle.js';
import { moduleInLayers } from './image_root.js';
import { DetachedError } from './state.js';

/** One process of a container as `top` shows it. */
export interface TopProcess {
  pid: number;
  args: string[];
  /** uid as a string. */
  user: string;
  /** ISO 8601 start time. */
  started: string;
}

/** podman's PATH when the image sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Paths to try for `argv0`, in order. */
export function execCandidates(argv0: string, env: readonly string[] | undefined, cwd = '/'): string[] {
  const rel = (p: string) => (p.startsWith('/') ? p : `${cwd.replace(/\/$/, '')}/${p}`);
  if (argv0.includes('/')) return [rel(argv0)];
  const path = env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const dirs = path.split(':').filter((d) => d !== '').map((d) => rel(d));
  return [...dirs.map((d) => `${d.replace(/\/$/, '')}/${argv0}`), rel(argv0)];
}

/** The module to run for `p` (bytes from image layers, or a host path in `rootfs`). */
export async function findExecModule(p: OciProcess, layers: readonly LayerTree[] | null, rootfs: string | null): Promise<string | Uint8Array> {
  const argv0 = p.args?.[0] ?? '';
  if (argv0 === '') throw new DetachedError('BAD_ARG', 'exec needs a command');
  if (!layers && rootfs === null) {
    throw new DetachedError('NO_MODULE', `${argv0}: this container's root is in memory (no image or host directory to find modules in): give the path of a .wasm file on the host`);
  }
  for (const cand of execCandidates(argv0, p.env, p.cwd)) {
    try {
      // a copy: layer bytes may be a view on shared memory, which hashing and compiling refuse
      return layers ? new Uint8Array(await moduleInLayers(layers, cand)) : resolveModule(rootfs!, { ...p, args: [cand] });
    } catch (err) {
      const msg = (err as Error).message;
      if (/not a WebAssembly module/.test(msg)) throw new DetachedError('NOT_WASM', `${argv0}: ${cand} is not a WebAssembly module`);
      // not there: try the next
    }
  }
  throw new DetachedError('NO_MODULE', argv0.includes('/') ? `${argv0}: no such file in the container` : `${argv0}: executable file not found in $PATH (${p.env?.find((e) => e.startsWith('PATH=')) ?? `PATH=${DEFAULT_PATH}`})`);
}
