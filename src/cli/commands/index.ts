/** Every `wasmvisor` subcommand, each registering itself on the program. */
import type { Command } from 'commander';
import { register as run } from './run.js';

/** Registration functions, in `--help` order. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [run];
