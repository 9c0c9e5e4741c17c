/**
 * `wasmvisor export [-o FILE] CONTAINER`: a running container's whole
 * filesystem (as its processes see it, mounts included; /proc, /sys and
 * /dev left out) as a tar, read inside it by wasm/cptar.wasm.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { runCptar } from '../containers/guest_tar.js';

/** Register `export`. */
export function register(program: Command): void {
  program.command('export')
    .description('write a running container\'s filesystem as a tar archive (to stdout, or -o FILE)')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText('after', `
The files are read inside the container (its VFS, mounts included), so it
must be running; a paused container is refused.

Exit status: 0; 125 if the container does not exist or is not running, or
stdout is a terminal without -o.`)
    .action(async (ref: string, f: { output?: string }, c: Command) => {
      if (f.output === undefined && process.stdout.isTTY) throw new CliExit(ExitCode.RUNTIME, 'refusing to write a tar archive to a terminal: use -o FILE or redirect stdout');
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status !== 'running') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is ${st.status === 'stopped' ? 'exited' : st.status}: export reads a running container's files`);
      requireDetached(st, ref, 'export');
      const chunks: Buffer[] = [];
      const r = await runCptar(root, st.id, ['c', '/'], (b) => chunks.push(b));
      if (r.code !== 0) throw new CliExit(ExitCode.RUNTIME, `export of ${ref} failed: ${r.stderr || r.code}`);
      if (f.output !== undefined) writeFileSync(f.output, Buffer.concat(chunks));
      else process.stdout.write(Buffer.concat(chunks));
    });
}
