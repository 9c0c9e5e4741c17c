/**
 * `wasmvisor exec [-i] CONTAINER MODULE [ARG...]`: run another module in a
 * running detached container with this command's stdio, and exit with its
 * code (the library's execInContainer, attached). MODULE is a .wasm file
 * on the host, else a path inside the container's root (`--rootfs`).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { execInContainer } from '../../runtime/lifecycle/exec.js';
import { CliExit, ExitCode } from '../exit.js';
import { parseEnv } from './run.js';
import { containerConfig, containersRoot, findContainer } from '../containers/store.js';
import { collect } from '../options.js';

/** Register `exec`. */
export function register(program: Command): void {
  program.command('exec')
    .description('run another module in a running detached container; exits with its code')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('<module>', 'a .wasm file on the host, else a path inside the container\'s root')
    .argument('[args...]', 'arguments passed to the module')
    .option('-i, --interactive', 'pass this command\'s stdin to the module (else it reads EOF)')
    .option('-e, --env <KEY[=VALUE]>', 'set an environment variable (KEY alone copies it from the host)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container', '/')
    .passThroughOptions()
    .addHelpText('after', '\nExit status: the module\'s own; 125 if the container does not exist or is not running.')
    .action(async (ref: string, module: string, args: string[], f: { interactive?: boolean; env: string[]; workdir: string }, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status !== 'running') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is ${st.status === 'stopped' ? 'not running (it exited)' : st.status}: exec needs a running container`);
      const onHost = existsSync(module) && statSync(module).isFile();
      // as podman: the container's environment, then -e
      const env = parseEnv(f.env, containerConfig(root, st.id).process?.env ?? []);
      process.exitCode = await execInContainer(root, st.id, {
        args: [onHost ? basename(module) : module, ...args], cwd: f.workdir, env,
      }, { module: onHost ? resolve(module) : undefined, stdin: f.interactive === true });
    });
}
