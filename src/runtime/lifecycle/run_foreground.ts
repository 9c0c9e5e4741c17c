/**
 * A waited-for run (`wasmvisor-runc run` without `--detach`) on this
 * process's own thread: the inline platform (runWasm), with no sandbox
 * process and no worker. A second Node process and the Sentry's and app
 * workers' start-up were most of such a run's time (bench/startup.mjs
 * --runc). The container is still one a state root knows while it runs:
 * `ROOT/ID/state.json` names this process (`state`, `list`, `ps` see it
 * running), and `kill` signals this process (state `inline`), whose
 * default action for TERM, INT, HUP and QUIT ends it with that signal, as
 * runc's run ends with its container's; STOP and CONT stop and continue
 * it. The state directory is removed when the container ends (not when a
 * signal ended the process: `delete` removes it then, as after runc).
 *
 * Only a plain container runs so; anything the inline platform does not
 * serve (see `foregroundRunnable`) runs in a sandbox process as before.
 */
import { runWasm, RunWasmError } from '../run_wasm.js';
import { loadBundle, type Bundle } from '../detached/bundle.js';
import { RESTART_POLICY } from '../detached/restart.js';
import { PUBLISH_ANNOTATION } from '../ports.js';
import { OCI_VERSION, checkId, makeContainerDir, pidStartTime, removeContainerDir, saveState, type RuncState } from '../detached/state.js';
import { writePidFile } from './container.js';
import { useMeteredCache } from '../metered_cache.js';
import { resolveStoreRoot } from '../../image/content/store_path.js';

/** Annotations by which CRI marks a pod's containers: those join or hold a pod's sandbox process. */
const POD_ANNOTATIONS = ['io.kubernetes.cri.sandbox-id', 'io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType'];

/** What runForeground takes. */
export interface ForegroundOptions {
  root: string;
  id: string;
  bundle: Bundle;
  pidFile?: string;
}

/**
 * True when `bundle` can run on this thread: a module to run, no pod, no
 * network namespace, no published ports, no restart policy and no
 * terminal (each of those needs a sandbox process: a control socket, an
 * event loop that stays free, or a pty).
 */
export function foregroundRunnable(bundle: Bundle): boolean {
  const a = bundle.config.annotations ?? {};
  return bundle.modulePath !== null && bundle.netns === undefined && bundle.config.process?.terminal !== true
    && a[PUBLISH_ANNOTATION] === undefined && a[RESTART_POLICY] === undefined && !POD_ANNOTATIONS.some((k) => a[k] !== undefined);
}

/** Load the bundle at `dir` (BAD_BUNDLE with one line when it is unusable). */
export function foregroundBundle(dir: string | undefined): Bundle {
  return loadBundle(dir ?? '.');
}

/** Run `opts.bundle` to its end on this thread; resolves with its exit code (128+n for a signal). */
export async function runForeground(opts: ForegroundOptions): Promise<number> {
  const { root, id, bundle } = opts;
  checkId(id);
  useMeteredCache(resolveStoreRoot()); // a cpu limit meters the module: rewritten once per store, not per container
  const dir = makeContainerDir(root, id);
  try {
    const st: RuncState = {
      ociVersion: OCI_VERSION, id, status: 'running', pid: process.pid, bundle: bundle.dir, rootfs: bundle.rootfs ?? '',
      created: new Date().toISOString(), owner: '', annotations: bundle.config.annotations ?? {}, pidStart: pidStartTime(process.pid), inline: true,
    };
    saveState(dir, st);
    if (opts.pidFile) writePidFile(opts.pidFile, process.pid);
    const r = await runWasm({
      file: bundle.modulePath!, config: { config: bundle.config, root: bundle.rootfs === null ? {} : { hostPath: bundle.rootfs } },
      stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', moduleCache: false, id,
    });
    return r.exitCode;
  } catch (err) {
    // runWasm's words are the CLI's (`--rootfs`, `-v`): a bundle's root and mounts are what they name
    if (err instanceof RunWasmError) throw new Error(err.message.replace(/^--rootfs: /, 'root.path: ').replace(/^-v /, 'mount '));
    throw err;
  } finally {
    removeContainerDir(root, id);
  }
}
