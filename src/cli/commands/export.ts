/**
 * `wasmvisor export [-o FILE] CONTAINER`: a container's whole filesystem as
 * a tar (/proc, /sys and /dev left out): a running one's as its processes
 * see it, mounts included, read inside it by wasm/cptar.wasm; an exited
 * one's from its kept writable layer over its image (../containers/stopped_fs.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { runCptar } from '../containers/guest_tar.js';
import { stoppedTar } from '../containers/stopped_fs.js';

/** Register `export`. */
export function register(program: Command): void {
  program.command('export')
    .description('write a container\'s filesystem as a tar archive (to stdout, or -o FILE)')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText('after', `
A running container's files are read inside it (its VFS, mounts included);
a paused one is refused. An exited container's are its writable layer (kept
until rm) over its image, without its mounts.

Exit status: 0; 125 if the container does not exist, is created or paused,
or stdout is a terminal without -o.`)
    .action(async (ref: string, f: { output?: string }, c: Command) => {
      if (f.output === undefined && process.stdout.isTTY) throw new CliExit(ExitCode.RUNTIME, 'refusing to write a tar archive to a terminal: use -o FILE or redirect stdout');
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status === 'stopped') {
        requireDetached(st, ref, 'export');
        const tar = Buffer.from((await stoppedTar(root, st, ref, '/'))!);
        if (f.output !== undefined) writeFileSync(f.output, tar);
        else process.stdout.write(tar);
        return;
      }
      if (st.status !== 'running') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is ${st.status}: export reads a running or exited container's files`);
      requireDetached(st, ref, 'export');
      const chunks: Buffer[] = [];
      const r = await runCptar(root, st.id, ['c', '/'], (b) => chunks.push(b));
      if (r.code !== 0) throw new CliExit(ExitCode.RUNTIME, `export of ${ref} failed: ${r.stderr || r.code}`);
      if (f.output !== undefined) writeFileSync(f.output, Buffer.concat(chunks));
      else process.stdout.write(Buffer.concat(chunks));
    });
}
