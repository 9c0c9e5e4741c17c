/**
 * `wasmvisor run [OPTIONS] FILE.wasm|IMAGE [ARG...]`: run a WASI command in
 * a new container. Thin: parses podman-style flags, resolves the user (`-u`
 * or the image's `User`, see `../run_user.ts`) and runs the container on the
 * inline platform (`runWasm`) or, with `--platform sentry`, through the
 * library Runtime (`../run_sentry.ts`). Exit codes: the workload's own; 125
 * bad options or runtime error; 126 not WebAssembly or not runnable (no
 * `_start`); 127 file not found.
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import type { Command } from 'commander';
import { RunWasmError, runWasm, type BindMount, type RunWasmOptions } from '../../runtime/run_wasm.js';
import { addTestingFlags, testingOptions, type TestingFlags } from '../testing_flags.js';
import { CliExit, ExitCode } from '../exit.js';
import { looksLikeImage, referenceFault } from '../../image/run/image_arg.js';
import { parsePlatform } from '../../image/reference/platform.js';
import { addRegistryFlags, type RegistryFlags } from '../registry_flags.js';
import { runOnSentry, sentryConfig } from '../run_sentry.js';
import { parseLogOpts } from '../containers/log_opts.js';
import { containersRoot } from '../containers/store.js';
import { emptyRootReader, hostRootReader, layersReader, resolveUser, withHome } from '../run_user.js';
import { collect } from '../options.js';
import { MOUNT_HELP, mountFlags } from '../mount_flags.js';
import { bindPublished, portsAnnotation, publishAnnotation, PUBLISH_EPILOG, PUBLISH_HELP, publishMappings, type PublishFlags } from '../publish.js';
import { addLimitFlags, limitOptions, type LimitFlags } from '../limit_flags.js';
import { addCpuFlags, cpuOptions, type CpuFlags } from '../cpu_flags.js';
import { registerForeground, type ForegroundEntry } from '../containers/foreground.js';
import { labelAnnotations, restartAnnotations } from '../containers/labels.js';
import { useMeteredCache } from '../../runtime/metered_cache.js';
import { resolveStoreRoot } from '../../image/content/store_path.js';

/** `-e K=V` or `-e K` (value from the host environment; skipped if unset, as podman does). */
export function parseEnv(specs: readonly string[], fileLines: readonly string[] = [], hostEnv = process.env): string[] {
  const out: string[] = [];
  for (const raw of [...fileLines, ...specs]) {
    const s = raw.replace(/\r$/, '');
    if (s.trim() === '' || s.trimStart().startsWith('#')) continue;
    const eq = s.indexOf('=');
    if (eq === 0) throw new CliExit(ExitCode.RUNTIME, `invalid environment variable: ${s}`);
    if (eq > 0) out.push(s);
    else if (hostEnv[s] !== undefined) out.push(`${s}=${hostEnv[s]}`);
  }
  // later definitions of a key win
  const byKey = new Map<string, string>();
  for (const kv of out) byKey.set(kv.slice(0, kv.indexOf('=')), kv);
  return [...byKey.values()];
}

/** `-v HOST:CTR[:OPTS]`, OPTS a comma list of ro, rw, z, Z (z and Z are accepted and ignored: there is no SELinux inside). */
export function parseVolume(spec: string): BindMount {
  const parts = spec.split(':');
  let ro = false;
  if (parts.length === 3) {
    const opts = parts.pop()!.split(',');
    for (const o of opts) {
      if (o === 'ro') ro = true;
      else if (o !== 'rw' && o !== '' && o !== 'z' && o !== 'Z') throw new CliExit(ExitCode.RUNTIME, `invalid volume option "${o}" in ${spec}: use ro, rw, z or Z`);
    }
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new CliExit(ExitCode.RUNTIME, `invalid volume ${spec}: expected HOST-PATH:CONTAINER-PATH[:ro]`);
  }
  if (!parts[1]!.startsWith('/')) throw new CliExit(ExitCode.RUNTIME, `invalid volume ${spec}: the container path must be absolute`);
  // as podman and docker: a bind mount cannot replace the root (use --rootfs for a host directory as the root)
  if (posix.normalize(parts[1]!) === '/') throw new CliExit(ExitCode.RUNTIME, `invalid volume ${spec}: the container path cannot be "/" (use --rootfs DIR to run on a host directory)`);
  return { host: resolve(parts[0]!), container: parts[1]!, readonly: ro };
}

/** True if some `-v` asks for an SELinux relabel (`:z`/`:Z`), which is accepted and ignored. */
export function asksRelabel(specs: readonly string[]): boolean {
  return specs.some((spec) => {
    const parts = spec.split(':');
    return parts.length === 3 && parts[2]!.split(',').some((o) => o === 'z' || o === 'Z');
  });
}

/** `--pids-limit N`: a positive count, or -1 / 0 for none (as podman). */
export function parsePidsLimit(spec: string): number | undefined {
  const m = /^(-1|\d+)$/.exec(spec.trim());
  if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid --pids-limit ${spec}: give a number of processes, or -1 for no limit`);
  const n = Number(m[1]);
  return n <= 0 ? undefined : n;
}

/**
 * `--platform`: `inline` or `sentry` choose how the container runs; any
 * other value (`OS/ARCH`) is the image platform to pull. Both may be given.
 */
export function parseRunPlatform(specs: readonly string[]): { exec: 'inline' | 'sentry'; image?: string } {
  let exec: 'inline' | 'sentry' = 'inline';
  let image: string | undefined;
  for (const s of specs) {
    if (s === 'inline' || s === 'sentry') exec = s;
    else if (s.includes('/')) image = s;
    else throw new CliExit(ExitCode.RUNTIME, `invalid --platform ${s}: use inline or sentry (how to run), or OS/ARCH such as wasip1/wasm (which image to pull)`);
  }
  return { exec, image };
}

/**
 * `--ulimit nofile=SOFT[:HARD]` (podman's spelling). Only nofile is
 * enforced by this runtime; the soft value is the limit the guest sees.
 */
export function parseUlimits(specs: readonly string[]): { nofile?: number; cpu?: number } {
  const out: { nofile?: number; cpu?: number } = {};
  for (const spec of specs) {
    const m = /^([a-z]+)=(\d+)(?::(\d+))?$/.exec(spec);
    if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid ulimit ${spec}: expected TYPE=SOFT[:HARD], e.g. nofile=256:256`);
    if (m[1] !== 'nofile' && m[1] !== 'cpu') throw new CliExit(ExitCode.RUNTIME, `unsupported ulimit ${m[1]}: only nofile and cpu are enforced by run`);
    const soft = Number(m[2]);
    const hard = m[3] === undefined ? soft : Number(m[3]);
    if (soft > hard) throw new CliExit(ExitCode.RUNTIME, `invalid ulimit ${spec}: the soft limit is above the hard one`);
    if (m[1] === 'cpu' && soft < 1) throw new CliExit(ExitCode.RUNTIME, `invalid ulimit ${spec}: give at least 1 second of CPU`);
    out[m[1] as 'nofile' | 'cpu'] = soft;
  }
  return out;
}

/** `-m SIZE`: bytes, with an optional k/m/g suffix (powers of 1024, as podman). */
export function parseMemory(spec: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(spec.trim());
  if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid memory limit ${spec}: give a size such as 512k, 64m or 1g`);
  const n = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  if (n < 65536) throw new CliExit(ExitCode.RUNTIME, `invalid memory limit ${spec}: the minimum is 64k (one wasm page)`);
  return n;
}

interface RunFlags {
  memory?: string;
  ulimit: string[];
  publish: PublishFlags['publish'];
  publishAll?: boolean;
  env: string[];
  envFile: string[];
  volume: string[];
  mount: string[];
  rootfs?: string;
  workdir?: string;
  strace?: boolean;
  hostname?: string;
  user?: string;
  readOnly?: boolean;
  tmpfs: string[];
  entrypoint?: string;
  pull?: string;
  platform: string[];
  pidsLimit?: string;
  detach?: boolean;
  name?: string;
  interactive?: boolean;
  rm?: boolean;
  logOpt: string[];
  label: string[];
  restart?: string;
}

// The image pipeline, the registry client, the store and detached runs are loaded when a run needs
// them: `run FILE.wasm` starts without them (bin/wasmvisor.js, run_main.ts; bench/testing.mjs).
const storeFromCommand = async (c: Command) => (await import('../registry_setup.js')).storeFromCommand(c);
const runDetached: typeof import('../containers/run_detached.js').runDetached = async (...a) => (await import('../containers/run_detached.js')).runDetached(...a);

/** For `run IMAGE`: find or pull the image and work out its module, argv, env and workdir (exit codes as podman). */
async function imageRunSpec(image: string, args: string[], env: string[], flags: RunFlags & RegistryFlags, c: Command, platform: string | undefined) {
  if (flags.rootfs !== undefined) throw new CliExit(ExitCode.RUNTIME, '--rootfs cannot be used with an image');
  const pull = flags.pull ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new CliExit(ExitCode.RUNTIME, `invalid --pull ${pull}: use missing, always or never`);
  const [{ ImageRunError, prepareRun }, { RegistryTransport }, { SamplesTransport }, { progressFor }, { clientFromFlags }] = await Promise.all([
    import('../../image/run/manifest_run.js'), import('../../image/registry/registry_transport.js'), import('../../image/samples/index.js'),
    import('../progress.js'), import('../registry_setup.js'),
  ]);
  const store = await storeFromCommand(c);
  const progress = progressFor({});
  try {
    const r = await prepareRun(store, image, {
      entrypoint: flags.entrypoint === undefined ? undefined : flags.entrypoint === '' ? [] : [flags.entrypoint],
      args,
      env,
      workdir: flags.workdir,
    }, { pull, transports: [new SamplesTransport(store.content), new RegistryTransport(clientFromFlags(flags))], platforms: platform ? [parsePlatform(platform)] : undefined, progress });
    return r;
  } catch (err) {
    if (err instanceof ImageRunError) {
      const code = err.code === 'NOT_FOUND' ? ExitCode.NOT_FOUND : err.code === 'NOT_WASM' ? ExitCode.CANNOT_RUN : ExitCode.RUNTIME;
      throw new CliExit(code, err.message);
    }
    throw err;
  } finally {
    progress.stop();
  }
}

/** Register `run`. */
export function register(program: Command): void {
  defineRunCommand(program, 'run');
}

/**
 * Define `run`, or `create` (the same flags; the container is made
 * detached and left created, for `start`).
 */
export function defineRunCommand(program: Command, mode: 'run' | 'create'): void {
  program.enablePositionalOptions();
  const cmd = program
    .command(mode)
    .description(mode === 'run' ? 'run a WebAssembly module or an image in a new container'
      : 'create a container (as run -d would run it) and leave it created: start it with wasmvisor start; prints its id')
    .argument('<file>', 'WebAssembly module (a WASI command exporting _start), or an image (pulled if missing)')
    .argument('[args...]', 'arguments passed to the program')
    .option('-e, --env <KEY[=VALUE]>', 'set an environment variable (KEY alone copies it from the host)', collect, [])
    .option('--env-file <file>', 'read KEY=VALUE lines from a file (# comments; KEY alone copies it from the host); repeatable, -e wins', collect, [])
    .option('-v, --volume <HOST:CTR[:OPTS]>', 'bind-mount a host directory or file (a file mounts on a file), or a named volume (HOST without / not starting with ".": created on first use, see volume --help); OPTS: ro, rw, z, Z (z/Z accepted and ignored: no SELinux inside); CTR cannot be /', collect, [])
    .option('--rootfs <dir>', 'use a host directory as the read-only root (writes go to a private in-memory layer)')
    .option('-w, --workdir <dir>', 'working directory inside the container (sets PWD; see below)')
    .option('-u, --user <user[:group]>', 'run as this user and group: ids, or names from the image\'s (or --rootfs\') /etc/passwd and /etc/group (default: the image\'s User, else 0:0)')
    .option('--read-only', 'mount the root read-only (/tmp, --tmpfs and rw volumes stay writable)')
    .option('--tmpfs <path[:options]>', 'mount a fresh in-memory filesystem at path; options: size=SIZE (writes past it are cut short, then ENOSPC; the bytes count in memory.current), ro', collect, [])
    .option('--mount <spec>', MOUNT_HELP, collect, [])
    .option('--hostname <name>', 'host name inside the container (/proc/sys/kernel/hostname)')
    .option('-m, --memory <size>', 'memory limit (e.g. 64m, 1g): linear memory and in-memory files (default: half the host RAM for files)')
    .option('--pids-limit <n>', 'most processes in the container (-1: no limit); accepted on the inline platform, where the container is one process and never exceeds it')
    .option('-p, --publish <[IP:][HOSTPORT:]CTRPORT[/tcp]>', PUBLISH_HELP.publish, collect, [])
    .option('-P, --publish-all', PUBLISH_HELP.publishAll)
    .option('--ulimit <TYPE=SOFT[:HARD]>', 'resource limit; nofile (default 1024) caps the open fds (EMFILE past it); cpu=SECONDS of CPU (metered), then the process ends with SIGXCPU (exit 152)', collect, [])
    .option('--strace', 'print every system call with its arguments, result and duration on stderr')
    .option('-d, --detach', 'run in the background (a detached sandbox process on the sentry platform): print the container id and return; see ps, logs, exec, stop, rm')
    .option('--name <name>', 'the container\'s name (unique; default: a generated one such as brave_otter)')
    .option('-l, --label <KEY=VALUE>', 'set a label on the container (ps --filter label=KEY[=VALUE], inspect)', collect, [])
    .option('--restart <policy>', 'with -d or create: no (default), on-failure[:N] (restart on a non-zero exit, at most N times), always; unless-stopped is always until stopped')
    .option('--log-opt <max-size=SIZE>', 'with -d: cap of the container\'s log (default max-size=10m; see below)', collect, [])
    .option('-i, --interactive', 'stdin is always passed through in the foreground; with -d, keep the container\'s stdin open (else it reads EOF)')
    .option('-t, --tty', 'accepted for podman compatibility: the guest sees a terminal when the host stream is one')
    .option('--rm', 'remove the container when it exits (else it is kept: ps -a, logs, rm)')
    .option('--entrypoint <path>', 'image: run this instead of the image\'s Entrypoint (drops its Cmd)')
    .option('--pull <policy>', 'image: missing (default), always or never')
    .option('--platform <inline|sentry|os/arch>', 'how to run: inline (default) or sentry (see below); OS/ARCH: image platform to pull (default wasip1/wasm, then wasi/wasm); repeatable', collect, [])
    .passThroughOptions()
    .addHelpText('after', `
Platforms: inline (default) runs the kernel inside the program's own worker:
fastest for one process; --strace works there. sentry runs the container
through the library Runtime (a kernel worker plus one app worker): -m and
--pids-limit are the sandbox's cgroup limits, shown in /sys/fs/cgroup, and
SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the container. On the
inline platform --pids-limit is accepted and checked, but a container is
one process there and can never exceed it.

User: -u and the image's User take UID, UID:GID, NAME or NAME:GROUP, as
podman: names are looked up in the image's (or --rootfs') /etc/passwd and
/etc/group; a user without a group gets its passwd group (0 for a UID with
no entry); HOME is set from passwd when the environment lacks it.

Working directory: WASI has no chdir, and programs built with wasi-libc (C,
C++, Rust) resolve paths against the preopened directories. With -w DIR the
root "/" is preopened, then every top-level directory under its own name,
then DIR as ".": relative paths resolve in DIR and absolute ones from the
root. Limit: "/" itself and names directly under "/" that are not
directories present at start resolve in DIR, and getcwd() says "/".

Log (-d): stdout and stderr go to STORE/containers/ID/ctr.log, which never
exceeds --log-opt max-size (default 10m; k, m, g are powers of 1024): when a
write would take it past that, it is renamed ctr.log.1 (replacing the one
before) and a new ctr.log begins, so at most twice the size is on disk and
"wasmvisor logs" shows the newest output (-f follows across the rotation).
Other --log-opt keys (path, ...) are refused with exit 125.

${PUBLISH_EPILOG}

Exit status: the program's own; 125 if wasmvisor itself failed or an option
is invalid; 126 if FILE is not a runnable WebAssembly command; 127 if FILE
does not exist (or the program named by an image is not in it). An argument
that is not a host file is read as an image reference; if it is not a valid
one either (and does not look like a path: /..., ./..., *.wasm), the error
says what is wrong with the reference, exit 125.`);
  addLimitFlags(cmd);
  addCpuFlags(cmd);
  addTestingFlags(cmd);
  addRegistryFlags(cmd)
    .action(async (file: string, args: string[], flags: RunFlags & RegistryFlags & LimitFlags & CpuFlags, c: Command) => {
      useMeteredCache(resolveStoreRoot((c.optsWithGlobals() as { root?: string }).root)); // metered modules: rewritten once per store
      const fileLines = flags.envFile.flatMap((f) => {
        try {
          return readFileSync(f, 'utf8').split('\n');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
          throw new CliExit(ExitCode.RUNTIME, `--env-file ${f}: ${why}`);
        }
      });
      const platform = parseRunPlatform(flags.platform);
      const portMaps = publishMappings(flags);
      const mounts = mountFlags(flags.volume, flags.volume.map(parseVolume), flags.mount, flags.tmpfs, c); // -v NAME:/path and --mount
      if (asksRelabel(flags.volume)) process.stderr.write('wasmvisor: -v :z/:Z ignored: there is no SELinux labelling inside a wasmvisor container\n');
      const logOpts = parseLogOpts(flags.logOpt); // checked in the foreground too (podman takes them there), used by -d
      const pidsLimit = flags.pidsLimit === undefined ? undefined : parsePidsLimit(flags.pidsLimit);
      const env = parseEnv(flags.env, fileLines);
      const fault = referenceFault(file, existsSync); // neither a host file nor a valid reference: say what is wrong with it
      if (fault !== undefined) throw new CliExit(ExitCode.RUNTIME, fault);
      const image = looksLikeImage(file, existsSync) ? await imageRunSpec(file, args, env, flags, c, platform.image) : undefined;
      const rootfs = flags.rootfs === undefined ? undefined : resolve(flags.rootfs);
      // -u wins over the image's User; names come from the container's own /etc/passwd and /etc/group
      const userSpec = flags.user ?? image?.process.user;
      const user = userSpec === undefined ? undefined
        : resolveUser(userSpec, image ? layersReader(image.lowers) : rootfs !== undefined ? hostRootReader(rootfs) : emptyRootReader);
      const opts: RunWasmOptions = {
        ...(image
          ? { bytes: image.process.bytes, argv0: image.process.argv[0], args: image.process.argv.slice(1), env: withHome(image.process.env, user), lowers: image.lowers }
          : { file, args, env: withHome(env, user) }),
        mounts,
        rootfs,
        workdir: image ? image.process.workdir : flags.workdir,
        hostname: flags.hostname,
        user: user && { uid: user.uid, gid: user.gid },
        readOnly: flags.readOnly === true,
        tmpfs: flags.tmpfs,
        strace: flags.strace === true,
        ...testingOptions(flags as TestingFlags), // the inline platform's host and faults; sentryOpts carries the spec
        fdLimit: parseUlimits(flags.ulimit).nofile,
        cpuLimit: parseUlimits(flags.ulimit).cpu,
        ...cpuOptions(flags),
        memoryLimit: flags.memory === undefined ? undefined : parseMemory(flags.memory),
        stdin: 'inherit',
        moduleCache: false, // this process compiles its module once: no digest for the per-process cache
        ...limitOptions(flags),
      };
      const detach = flags.detach === true || mode === 'create';
      // -P: the image's ExposedPorts too; -d: the sandbox process binds them (publishAnnotation), else this process
      const ports = flags.publishAll ? publishMappings(flags, image?.exposedPorts) : portMaps;
      const annotations = { ...labelAnnotations(flags.label), ...restartAnnotations(flags.restart, detach), ...(detach ? publishAnnotation(ports) : {}) };
      let fg: ForegroundEntry | undefined;
      let published: Awaited<ReturnType<typeof bindPublished>>;
      try {
        if (detach && flags.platform.includes('inline')) throw new CliExit(ExitCode.RUNTIME, `${mode === 'run' ? 'run -d' : 'create'} runs on the sentry platform (a detached sandbox process): drop --platform inline`);
        // the container's OCI config, written once for whichever platform runs it (a detached one has no terminal)
        const sentryOpts = { ...opts, pidsLimit, label: file, testing: testingOptions(flags as TestingFlags).testing };
        const prepared = sentryConfig({ ...sentryOpts, terminal: detach ? false : undefined });
        if (detach) {
          const id = await runDetached(sentryOpts, {
            root: containersRoot(c), name: flags.name, rm: flags.rm === true, interactive: flags.interactive === true, image: file, logMaxSize: logOpts.maxSize,
            createOnly: mode === 'create', annotations,
            stored: image && { store: (await storeFromCommand(c)).root, name: image.name, platform: platform.image, manifest: image.manifest },
          }, prepared);
          process.stdout.write(`${id}\n`);
          return;
        }
        // kept in the store as podman keeps it: ps lists it while it runs, ps -a after (unless --rm)
        const stored = image && { store: (await storeFromCommand(c)).root, name: image.name, platform: platform.image, manifest: image.manifest };
        const hostRoot = prepared.root.hostPath;
        published = await bindPublished(ports);
        fg = registerForeground({
          root: containersRoot(c), name: flags.name, image: image?.name ?? file, rm: flags.rm === true, annotations: { ...annotations, ...portsAnnotation(published?.ports) },
          config: hostRoot === undefined ? prepared.config : { ...prepared.config, root: { ...prepared.config.root, path: hostRoot } },
          // what start needs to run it again, detached (an image's module is found in its layers then)
          recreate: { module: image ? '' : resolve(file), image: stored, stdin: flags.interactive === true ? false : true, logMaxSize: logOpts.maxSize },
        });
        if (platform.exec === 'sentry') {
          const r = await runOnSentry(sentryOpts, prepared, published);
          fg.finish(r.exitCode);
          if (r.reason) process.stderr.write(`wasmvisor: ${file}: ${r.reason}\n`);
          else if (r.oomKilled) process.stderr.write(`wasmvisor: ${file}: killed: the memory limit was reached\n`);
          process.exitCode = r.exitCode;
          return;
        }
        // no SIGTERM handler: the guest may hold this thread, and stop records the signal's exit itself (stop.ts)
        const r = await runWasm({ ...opts, config: prepared, published });
        fg.finish(r.exitCode);
        if (r.status.reason) process.stderr.write(`wasmvisor: ${file}: ${r.status.reason}\n`);
        process.exitCode = r.exitCode;
      } catch (err) {
        fg?.discard();
        if (err instanceof RunWasmError) {
          const code = err.code === 'NOT_FOUND' ? ExitCode.NOT_FOUND
            : err.code === 'BAD_OPTION' ? ExitCode.RUNTIME : ExitCode.CANNOT_RUN;
          // a module from an image has no path: name the image
          throw new CliExit(code, image && !err.message.startsWith(`${file}: `) ? `${file}: ${err.message}` : err.message);
        }
        throw err;
      } finally {
        await published?.net.dispose();
      }
    });
}
