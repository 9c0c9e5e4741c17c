/**
 * `wasmvisor run -d`: the container `run --platform sentry` would run, in
 * a detached sandbox process (the library's runContainer, as wasmvisor-runc's) under
 * `STORE/containers/ID/`, its output to the log there; prints the id. An
 * image's module is copied there; its layers are prepared again by the
 * sandbox process from the store (they cannot cross processes).
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { runContainer } from '../../runtime/lifecycle/run.js';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { AUTO_REMOVE } from '../../runtime/detached/served.js';
import type { StoredImage } from '../../runtime/detached/image_root.js';
import { CliExit, ExitCode } from '../exit.js';
import type { RunConfig } from '../../runtime/run_config.js';
import { moduleBytes, sentryConfig, type SentryRunOptions } from '../run_sentry.js';
import { Annotation, LOG_FILE } from './store.js';
import { checkName, freshName, takenNames } from './names.js';
import { saveRecreate, type Recreate } from './recreate.js';

/** What `run -d` adds to the run options. */
export interface DetachOptions {
  /** `STORE/containers`. */
  root: string;
  name?: string;
  /** `--rm`: remove the container when it exits. */
  rm: boolean;
  /** `-i`: keep stdin open (the container never reads EOF) instead of /dev/null. */
  interactive: boolean;
  /** The FILE.wasm or IMAGE as given. */
  image: string;
  /** For an IMAGE: where it is stored (its layers are the root). */
  stored?: StoredImage;
  /** Bytes `ctr.log` never exceeds (`--log-opt max-size`; it rotates once to `ctr.log.1`). */
  logMaxSize: number;
  /** `create`: leave it created (its sandbox process waits for `start`). */
  createOnly?: boolean;
  /** More annotations (labels, the restart policy). */
  annotations?: Record<string, string>;
}

/**
 * Start the container detached; resolves with its id once it runs. The
 * container is `prepared` (`sentryConfig`'s, without a terminal) if given,
 * else written from `o`.
 */
export async function runDetached(o: SentryRunOptions, d: DetachOptions, prepared?: RunConfig): Promise<string> {
  if (o.strace) throw new CliExit(ExitCode.RUNTIME, '--strace works on the inline platform only, and run -d uses the sentry platform: drop one of them');
  const bytes = await moduleBytes(o); // 127 / 126 with one line, as run
  const taken = takenNames(d.root);
  if (d.name !== undefined) checkName(d.name, taken);
  const name = d.name ?? freshName(taken);
  const made = prepared ?? sentryConfig({ ...o, terminal: false });
  const config = { ...made.config }; // the annotations and root path below are this container's
  if (made.root.hostPath !== undefined) config.root = { ...config.root, path: made.root.hostPath };
  config.annotations = {
    ...(config.annotations ?? {}), // the config's own (--storage-opt size, --clock/--seed/--inject) travel with it
    ...(d.annotations ?? {}),
    [Annotation.NAME]: name,
    [Annotation.IMAGE]: d.stored?.name ?? d.image,
    [Annotation.COMMAND]: JSON.stringify(config.process?.args ?? []),
    ...(d.rm ? { [AUTO_REMOVE]: 'true' } : {}),
  };
  const id = randomBytes(32).toString('hex');
  const own = { config, module: o.file ? resolve(o.file) : bytes, image: d.stored, stdin: !d.interactive, logFile: LOG_FILE, logMaxSize: d.logMaxSize };
  const again: Recreate = { module: o.file ? resolve(o.file) : join(d.root, id, 'module.wasm'), image: d.stored, stdin: !d.interactive, logMaxSize: d.logMaxSize };
  if (d.createOnly) {
    await createContainer({ root: d.root, id, detached: true, own });
    saveRecreate(join(d.root, id), again);
  } else {
    await runContainer({ root: d.root, id, detach: true, own });
    saveRecreate(join(d.root, id), again);
  }
  return id;
}
