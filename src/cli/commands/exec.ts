/**
 * `wasmvisor exec [-i] [-t] [-u USER] [-w DIR] [-e K=V] [--env-file F]
 * CONTAINER COMMAND [ARG...]`: run another module in a running detached
 * container with this command's stdio, and exit with its code (the
 * library's execInContainer, attached). COMMAND is a .wasm file on the
 * host, else a command found in the container as a shell finds it: a name
 * with a `/` is a path, a bare name is looked up in the PATH of the
 * container's environment (the image's) or -e's (runtime/detached/exec_module.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { execInContainer } from '../../runtime/lifecycle/exec.js';
import { imageLayers } from '../../runtime/detached/image_root.js';
import { DetachedError, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { parseEnv } from './run.js';
import { containerConfig, containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { RECREATE_FILE, type Recreate } from '../containers/recreate.js';
import { emptyRootReader, layersReader, resolveUser, splitUserSpec, withHome, type RunUser } from '../run_user.js';
import { collect } from '../options.js';

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
}

/** `--env-file` lines; 125 with one line for a file that cannot be read. */
export function readEnvFiles(files: readonly string[]): string[] {
  return files.flatMap((f) => {
    try {
      return readFileSync(f, 'utf8').split('\n');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliExit(ExitCode.RUNTIME, `--env-file ${f}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
    }
  });
}

/** `-u` for an exec: ids as they are; names from the image's /etc/passwd and /etc/group. */
async function execUser(spec: string, root: string, st: RuncState): Promise<RunUser> {
  const { user, group } = splitUserSpec(spec);
  if (/^\d+$/.test(user) && (group === undefined || /^\d+$/.test(group))) return resolveUser(spec, emptyRootReader);
  let image: Recreate['image'];
  try {
    image = (JSON.parse(readFileSync(join(root, st.id, RECREATE_FILE), 'utf8')) as Recreate).image;
  } catch {
    image = undefined;
  }
  return resolveUser(spec, image ? layersReader(await imageLayers(image)) : emptyRootReader);
}

/** Register `exec`. */
export function register(program: Command): void {
  program.command('exec')
    .description('run another module in a running detached container; exits with its code')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('<command>', 'a .wasm file on the host, else a command in the container: a path, or a name looked up in PATH')
    .argument('[args...]', 'arguments passed to the module')
    .option('-i, --interactive', 'pass this command\'s stdin to the module (else it reads EOF)')
    .option('-t, --tty', 'accepted for podman compatibility: the process gets no terminal (its output is the same bytes, uncooked); see below')
    .option('-e, --env <KEY[=VALUE]>', 'set an environment variable (KEY alone copies it from the host)', collect, [])
    .option('--env-file <file>', 'read KEY=VALUE lines from a file (# comments); -e wins', collect, [])
    .option('-u, --user <user[:group]>', 'run as this user: ids, or names from the image\'s /etc/passwd and /etc/group (default: the container\'s user)')
    .option('-w, --workdir <dir>', 'working directory inside the container (default: the container\'s)')
    .passThroughOptions()
    .addHelpText('after', `
The command's environment is the container's (the image's Env and run -e),
then --env-file, then -e. A bare command name is found in that PATH, as a
shell finds it.

-t: an exec'd process has no terminal here (there is no pty inside the
sandbox); the flag is accepted so that scripts written for podman run, and
output comes through unchanged.

Exit status: the module's own; 125 if the container does not exist or is
not running; 126 if the command is not a WebAssembly module; 127 if it is
not found.`)
    .action(async (ref: string, module: string, args: string[], f: ExecFlags, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status !== 'running') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is ${st.status === 'stopped' ? 'not running (it exited)' : st.status}: exec needs a running container`);
      requireDetached(st, ref, 'exec');
      const onHost = (module.includes('/') || module.endsWith('.wasm')) && existsSync(module) && statSync(module).isFile();
      const proc = containerConfig(root, st.id).process;
      // as podman: the container's environment, then --env-file, then -e
      let env = parseEnv(f.env, [...(proc?.env ?? []), ...readEnvFiles(f.envFile)]);
      let user = proc?.user && { uid: proc.user.uid, gid: proc.user.gid };
      if (f.user !== undefined) {
        const u = await execUser(f.user, root, st);
        user = { uid: u.uid, gid: u.gid };
        env = withHome(env, u);
      }
      try {
        process.exitCode = await execInContainer(root, st.id, {
          args: [onHost ? basename(module) : module, ...args], cwd: f.workdir ?? proc?.cwd ?? '/', env, ...(user ? { user } : {}),
        }, { module: onHost ? resolve(module) : undefined, stdin: f.interactive === true });
      } catch (err) {
        if (err instanceof DetachedError && err.code === 'NO_MODULE') throw new CliExit(ExitCode.NOT_FOUND, err.message);
        if (err instanceof DetachedError && err.code === 'NOT_WASM') throw new CliExit(ExitCode.CANNOT_RUN, err.message);
        throw err;
      }
    });
}
