/** Container names as podman makes and checks them: unique under the store, `adjective_noun` when none is given. */
import { randomBytes } from 'node:crypto';
import { listStates } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { Annotation } from './store.js';

/** Names as podman accepts them. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'swift', 'tidy', 'vivid', 'witty'];
const NOUNS = ['albatross', 'badger', 'cheetah', 'dolphin', 'falcon', 'gecko', 'heron', 'ibis', 'jaguar', 'koala', 'lemur', 'marmot', 'otter', 'panda', 'quokka', 'raven'];

/** Names of the containers under `root`. */
export function takenNames(root: string): Set<string> {
  return new Set(listStates(root).map((s) => s.annotations[Annotation.NAME]).filter((n): n is string => n !== undefined));
}

/** 125 with one line unless `name` is well formed and free. */
export function checkName(name: string, taken: ReadonlySet<string>, flag = '--name'): void {
  if (!NAME_RE.test(name)) throw new CliExit(ExitCode.RUNTIME, `invalid ${flag} ${JSON.stringify(name)}: use letters, digits and _ . - (starting with a letter or digit)`);
  if (taken.has(name)) throw new CliExit(ExitCode.RUNTIME, `the container name "${name}" is already in use: remove that container (wasmvisor rm ${name}) or choose another name`);
}

/** A name no container under `root` has (adjective_noun, as podman makes them). */
export function freshName(taken: ReadonlySet<string>): string {
  for (;;) {
    const [a, n] = randomBytes(2);
    const name = `${ADJECTIVES[a! % ADJECTIVES.length]}_${NOUNS[n! % NOUNS.length]}`;
    if (!taken.has(name)) return name;
    if (taken.size >= ADJECTIVES.length * NOUNS.length) return `${name}_${randomBytes(3).toString('hex')}`;
  }
}
