/** `wasmvisor create`: `run`'s flags; the container is made detached and left created for `start` (see run.ts). */
import type { Command } from 'commander';
import { defineRunCommand } from './run.js';

/** Register `create`. */
export function register(program: Command): void {
  defineRunCommand(program, 'create');
}
