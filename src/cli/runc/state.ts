/** `state ID`: the container's state as runc prints it (JSON). */
import type { Command } from 'commander';
import { loadState, type RuncState } from '../../runtime/detached/state.js';
import { rootOf } from './context.js';

/** The public fields of a state, in runc's order. */
export function publicState(st: RuncState): Record<string, unknown> {
  return {
    ociVersion: st.ociVersion, id: st.id, pid: st.pid, status: st.status, bundle: st.bundle, rootfs: st.rootfs,
    created: st.created, owner: st.owner, annotations: st.annotations,
  };
}

/** Register `state`. */
export function register(program: Command): void {
  program.command('state')
    .description('print the state of a container as JSON')
    .argument('<container-id>')
    .action((id: string, _f: unknown, cmd: Command) => {
      process.stdout.write(`${JSON.stringify(publicState(loadState(rootOf(cmd), id)), null, 2)}\n`);
    });
}
