/** Container names as podman makes and checks them: unique under the store, `adjective_noun` when none is given. */
import { randomBytes } from '../../host/node_random.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { Annotation } from './store.js';

/** Names as podman accepts them. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'swift', 'tidy', 'vivid', 'witty'];
const NOUNS = ['albatross', 'badger', 'cheetah', 'dolphin', 'falcon', 'gecko', 'heron', 'ibis', 'jaguar', 'koala', 'lemur', 'marmot', 'otter', 'panda', 'quokka', 'raven'];

/**
 * Names of the containers under `root`, read from each state.json alone:
 * whether a container still runs does not matter to its name, so no
 * /proc lookups (a foreground `run` calls this at every start; 113
 * containers cost it ~60 ms through listStates under load, a third of that so).
 */
export function takenNames(root: string): Set<string> {
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return new Set();
  }
  const out = new Set<string>();
  for (const id of ids) {
    try {
      const name = (JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as RuncState).annotations?.[Annotation.NAME];
      if (typeof name === 'string') out.add(name);
    } catch {
      // half-created or foreign entries: not a container
    }
  }
  return out;
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
