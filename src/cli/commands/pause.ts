/** `wasmvisor pause` and `unpause`: stop every process of detached containers at their next system call, then let them go on. */
import type { Command } from 'commander';
import { pauseContainer, resumeContainer } from '../../runtime/lifecycle/pause.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';

function define(program: Command, name: 'pause' | 'unpause'): void {
  program.command(name)
    .description(name === 'pause' ? 'pause running containers (every process stops at its next system call)' : 'resume paused containers')
    .argument('<containers...>', 'ids, unique id prefixes, or names')
    .addHelpText('after', `\nExit status: 0; 125 if a container does not exist or is not ${name === 'pause' ? 'running' : 'paused'}.`)
    .action(async (refs: string[], _f: unknown, c: Command) => {
      const root = containersRoot(c);
      const states = refs.map((r) => findContainer(root, r));
      for (const [i, st] of states.entries()) {
        requireDetached(st, refs[i]!, name);
        const want = name === 'pause' ? 'running' : 'paused';
        if (st.status !== want) throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} is ${st.status === 'stopped' ? 'exited' : st.status}, not ${want}: ${name === 'pause' ? 'only a running container can be paused' : 'only a paused container can be unpaused'}`);
      }
      for (const st of states) await (name === 'pause' ? pauseContainer(root, st.id) : resumeContainer(root, st.id));
      for (const r of refs) process.stdout.write(`${r}\n`);
    });
}

/** Register `pause` and `unpause`. */
export function register(program: Command): void {
  define(program, 'pause');
  define(program, 'unpause');
}
