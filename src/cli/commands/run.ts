/** `wasmvisor run`: placeholder until the kernel lands (issue 2). */
import type { Command } from 'commander';

/** Register `run`. */
export function register(program: Command): void {
  program.command('run').description('run a WebAssembly module or an image in a new container');
}
