/**
 * `wasmvisor run -d`: the container `run --platform sentry` would run, in
 * a detached sandbox process (the library's runContainer, as wasmvisor-runc's) under
 * `STORE/containers/ID/`, its output to the log there; prints the id. An
 * image's module is copied there; its layers are prepared again by the
 * sandbox process from the store (they cannot cross processes).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { runContainer } from '../../runtime/lifecycle/run.js';
import { AUTO_REMOVE } from '../../runtime/detached/served.js';
import type { StoredImage } from '../../runtime/detached/image_root.js';
import { listStates } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import type { RunConfig } from '../../runtime/run_config.js';
import { moduleBytes, sentryConfig, type SentryRunOptions } from '../run_sentry.js';
import { Annotation, LOG_FILE } from './store.js';

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
}

/** Names as podman accepts them. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'swift', 'tidy', 'vivid', 'witty'];
const NOUNS = ['albatross', 'badger', 'cheetah', 'dolphin', 'falcon', 'gecko', 'heron', 'ibis', 'jaguar', 'koala', 'lemur', 'marmot', 'otter', 'panda', 'quokka', 'raven'];

/** A name no container under `root` has (adjective_noun, as podman makes them). */
function freshName(taken: ReadonlySet<string>): string {
  for (;;) {
    const [a, n] = randomBytes(2);
    const name = `${ADJECTIVES[a! % ADJECTIVES.length]}_${NOUNS[n! % NOUNS.length]}`;
    if (!taken.has(name)) return name;
    if (taken.size >= ADJECTIVES.length * NOUNS.length) return `${name}_${randomBytes(3).toString('hex')}`;
  }
}

/**
 * Start the container detached; resolves with its id once it runs. The
 * container is `prepared` (`sentryConfig`'s, without a terminal) if given,
 * else written from `o`.
 */
export async function runDetached(o: SentryRunOptions, d: DetachOptions, prepared?: RunConfig): Promise<string> {
  if (o.strace) throw new CliExit(ExitCode.RUNTIME, '--strace works on the inline platform only, and run -d uses the sentry platform: drop one of them');
  const bytes = await moduleBytes(o); // 127 / 126 with one line, as run
  const taken = new Set(listStates(d.root).map((s) => s.annotations[Annotation.NAME]).filter((n): n is string => n !== undefined));
  if (d.name !== undefined) {
    if (!NAME_RE.test(d.name)) throw new CliExit(ExitCode.RUNTIME, `invalid --name ${JSON.stringify(d.name)}: use letters, digits and _ . - (starting with a letter or digit)`);
    if (taken.has(d.name)) throw new CliExit(ExitCode.RUNTIME, `the container name "${d.name}" is already in use: remove that container (wasmvisor rm ${d.name}) or choose another name`);
  }
  const name = d.name ?? freshName(taken);
  const made = prepared ?? sentryConfig({ ...o, terminal: false });
  const config = { ...made.config }; // the annotations and root path below are this container's
  if (made.root.hostPath !== undefined) config.root = { ...config.root, path: made.root.hostPath };
  config.annotations = {
    [Annotation.NAME]: name,
    [Annotation.IMAGE]: d.stored?.name ?? d.image,
    [Annotation.COMMAND]: JSON.stringify(config.process?.args ?? []),
    ...(d.rm ? { [AUTO_REMOVE]: 'true' } : {}),
  };
  const id = randomBytes(32).toString('hex');
  await runContainer({
    root: d.root, id, detach: true,
    own: { config, module: o.file ? resolve(o.file) : bytes, image: d.stored, stdin: !d.interactive, logFile: LOG_FILE, logMaxSize: d.logMaxSize },
  });
  return id;
}
