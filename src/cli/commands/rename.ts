/** `wasmvisor rename CONTAINER NEWNAME`: give a container another name (running or not). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadState, saveState } from '../../runtime/detached/state.js';
import { DetachedContainer } from '../../runtime/lifecycle/container.js';
import { containersRoot, findContainer, Annotation } from '../containers/store.js';
import { isForeground } from '../containers/foreground.js';
import { checkName, takenNames } from '../containers/names.js';

/** Register `rename`. */
export function register(program: Command): void {
  program.command('rename')
    .description('rename a container')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('<name>', 'the new name (unique; letters, digits and _ . -)')
    .addHelpText('after', '\nExit status: 0; 125 if the container does not exist or the name is taken or malformed.')
    .action(async (ref: string, name: string, _f: unknown, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      checkName(name, takenNames(root), 'name');
      const dir = join(root, st.id);
      // config.json: what start reads to run it again
      try {
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
        config.annotations = { ...(config.annotations ?? {}), [Annotation.NAME]: name };
        writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      } catch {
        // no config (a bundle's container): the state alone
      }
      if (st.status === 'stopped' || isForeground(st)) {
        // no sandbox process owns the state (a foreground run rereads it when it ends)
        const now = loadState(root, st.id);
        saveState(dir, { ...now, annotations: { ...now.annotations, [Annotation.NAME]: name } });
      } else {
        await DetachedContainer.load(root, st.id).ask({ op: 'annotate', key: Annotation.NAME, value: name });
      }
    });
}
