/**
 * Starting an exited container again (`wasmvisor start`/`restart` of a
 * stopped one), as podman does: the same config, module and root source in
 * a fresh sandbox process under the same id, name and log (the log goes
 * on). `run -d`/`create` and foreground `run` leave `recreate.json` beside
 * `config.json` saying what the sandbox process needs beyond the config.
 * The writable layer the earlier run kept (and what `cp` put into the
 * exited container) becomes the new run's upper, as podman keeps a
 * container's files across runs (runtime/detached/kept_upper.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciConfig } from '../../runtime/config.js';
import { imageLayers, moduleInLayers } from '../../runtime/detached/image_root.js';
import { DEFAULT_LOG_MAX_SIZE } from '../../runtime/detached/log_file.js';
import type { RuncState } from '../../runtime/detached/state.js';
import { createContainer } from '../../runtime/lifecycle/create.js';
import { startContainer } from '../../runtime/lifecycle/start.js';
import { CliExit, ExitCode } from '../exit.js';
import { FOREGROUND } from './foreground.js';
import { LOG_FILE } from './store.js';
import { RECREATE_FILE, type Recreate } from './recreate_file.js';

export { RECREATE_FILE, saveRecreate, type Recreate } from './recreate_file.js';

/** Start stopped container `st` again under `root` (detached; its output goes on in its log). */
export async function startAgain(root: string, st: RuncState): Promise<void> {
  const dir = join(root, st.id);
  let r: Recreate;
  let config: OciConfig;
  try {
    r = JSON.parse(readFileSync(join(dir, RECREATE_FILE), 'utf8')) as Recreate;
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciConfig;
  } catch {
    throw new CliExit(ExitCode.RUNTIME, `container ${st.id.slice(0, 12)} cannot be started again: it was made by an older wasmvisor (no ${RECREATE_FILE}); run a new one`);
  }
  const annotations = { ...(config.annotations ?? {}) };
  delete annotations[FOREGROUND]; // from now on it runs detached, as podman's start does
  config = { ...config, annotations, process: config.process && { ...config.process, terminal: false } };
  let module = r.module;
  if (module === '' && r.image) {
    // a foreground run of an image: its module is read from the image's layers now
    try {
      const bytes = await moduleInLayers(await imageLayers(r.image), config.process?.args?.[0] ?? '', config.process?.cwd);
      module = join(dir, 'module.wasm');
      writeFileSync(module, bytes);
    } catch (err) {
      throw new CliExit(ExitCode.RUNTIME, `container ${st.id.slice(0, 12)} cannot be started again: ${(err as Error).message}`);
    }
  }
  await createContainer({
    root, id: st.id, detached: true,
    own: { config, module, image: r.image, stdin: r.stdin, logFile: LOG_FILE, logMaxSize: r.logMaxSize || DEFAULT_LOG_MAX_SIZE, again: true },
  });
  await startContainer(root, st.id);
}
