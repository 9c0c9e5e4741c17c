/**
 * `wasmvisor diff [--format json] CONTAINER`: the paths a container's
 * writable layer added (A), changed (C) and deleted (D), as podman prints
 * them (the library's Container.diff, asked of its sandbox process; for an
 * exited container, the diff it kept, runtime/detached/kept_upper.ts).
 */
import type { Command } from 'commander';
import { containerDiff } from '../../runtime/lifecycle/top.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';

/** Register `diff`. */
export function register(program: Command): void {
  program.command('diff')
    .description('show the files a container added (A), changed (C) or deleted (D)')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('--format <format>', 'json: {"added": [...], "changed": [...], "deleted": [...]}, as podman')
    .addHelpText('after', `
The writable layer lives in the container's sandbox process while it runs
(or is paused); when it exits, the layer is kept on disk until rm, so diff
works on an exited container too (a created one has none yet).

Exit status: 0; 125 if the container does not exist or was never started.`)
    .action(async (ref: string, f: { format?: string }, c: Command) => {
      if (f.format !== undefined && f.format !== 'json') throw new CliExit(ExitCode.RUNTIME, `invalid --format ${f.format}: diff prints lines, or json`);
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status === 'created') {
        throw new CliExit(ExitCode.RUNTIME, `container ${ref} is created: it has no writable layer until it starts (start it)`);
      }
      requireDetached(st, ref, 'diff');
      const entries = await containerDiff(root, st.id);
      if (f.format === 'json') {
        const pick = (k: string) => entries.filter((e) => e.kind === k).map((e) => e.path);
        const doc: Record<string, string[]> = {};
        if (pick('C').length) doc.changed = pick('C');
        if (pick('A').length) doc.added = pick('A');
        if (pick('D').length) doc.deleted = pick('D');
        process.stdout.write(`${JSON.stringify(doc, null, 4)}\n`);
        return;
      }
      for (const e of entries) process.stdout.write(`${e.kind} ${e.path}\n`);
    });
}
