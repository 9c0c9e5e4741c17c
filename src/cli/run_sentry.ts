/**
 * `wasmvisor run --platform sentry`: the same container as the inline
 * platform's `runWasm`, run through the library `Runtime` instead (a kernel
 * worker and one app worker), so that cgroup limits such as `--pids-limit`
 * and `-m` are the sandbox's own and visible under /sys/fs/cgroup.
 *
 * The run options become an OCI config (`sentryConfig`, which `run` builds
 * once for whichever platform runs it); `toContainerSpec` and
 * `toProcess` in `src/runtime/config.ts` check it and build what the Sentry
 * runs, as for any library user. Stdio is wired to the CLI's own
 * (stdin → the guest's stdin pipe until EOF), SIGINT/SIGTERM/SIGHUP/SIGQUIT
 * are forwarded to the container, and the exit code is the workload's own,
 * or 125/126/127 as podman.
 */
import { wireHostStdio } from '../runtime/detached/host_stdio.js';
import type { RootSource } from '../runtime/container_builder.js';
import type { TestingSpec } from '../sentry/control_plane.js';
import { readModule, ModuleLoadError } from '../runtime/module_loader.js';
import { runConfig, type RunConfig } from '../runtime/run_config.js';
import { handOffPorts, type OpenPorts } from '../runtime/ports.js';
import type { CreateOptions } from '../runtime/runtime.js';
import type { RunWasmOptions } from '../runtime/run_wasm.js';
import { ContainerError, type WaitResult } from '../runtime/status.js';
import { CliExit, ExitCode } from './exit.js';
import { isTerminal } from '../host/node_tty.js';

/** What `run --platform sentry` needs: the inline options plus the ones only the sandbox enforces. */
export interface SentryRunOptions extends RunWasmOptions {
  /** `--pids-limit`: pids.max of the container's cgroup (undefined: unlimited). */
  pidsLimit?: number;
  /** `--tmpfs PATH[:OPTIONS]` as given (options such as `size=1m,ro` are honoured here). */
  tmpfsSpecs?: readonly string[];
  /** Show the guest a terminal (default: when the host's stdout is one). */
  terminal?: boolean;
  /** What messages call the workload (the image name; default: the file, else argv[0]). */
  label?: string;
  /** --clock, --seed, --inject as the container's spec (written into its config: src/runtime/testing_spec.ts). */
  testing?: TestingSpec;
}

/** Signals forwarded to the container, as podman's --sig-proxy does. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * The OCI config and root of the container `run` describes: the runtime's
 * `runConfig`, which `run` calls once and hands to whichever platform runs
 * it (`runWasm`'s `config`, `runOnSentry`, `runDetached`). Exit 125 for an
 * invalid option.
 */
export function sentryConfig(o: SentryRunOptions): RunConfig {
  try {
    return runConfig({ ...o, tmpfs: o.tmpfsSpecs ?? o.tmpfs, terminal: o.terminal ?? isTerminal(1) });
  } catch (err) {
    if (err instanceof ContainerError) throw new CliExit(ExitCode.RUNTIME, err.message);
    throw err;
  }
}

/** The root as `Runtime.run` takes it: absent for an empty root. */
export function rootfsOf(root: RootSource): CreateOptions['rootfs'] {
  return root.hostPath !== undefined || root.layers !== undefined ? root : undefined;
}

/** The module's bytes, with the inline platform's messages and exit codes for a missing or non-wasm file (the one module loader). */
export async function moduleBytes(o: SentryRunOptions): Promise<Uint8Array> {
  if (o.bytes) return o.bytes;
  if (!o.file) throw new CliExit(ExitCode.RUNTIME, 'no module to run');
  try {
    return await readModule(o.file);
  } catch (err) {
    if (!(err instanceof ModuleLoadError)) throw err;
    throw new CliExit(err.code === 'NOT_FOUND' ? ExitCode.NOT_FOUND : ExitCode.CANNOT_RUN, err.message);
  }
}

function cliError(err: unknown, name: string): unknown {
  if (!(err instanceof ContainerError)) return err;
  const msg = err.message.replace(/^config\.json: /, '');
  if (err.code === 'NOT_FOUND') return new CliExit(ExitCode.NOT_FOUND, `${name}: ${msg}`);
  if (err.code === 'CANNOT_RUN') return new CliExit(ExitCode.CANNOT_RUN, `${name}: ${msg}`);
  // a module the limit cannot hold (module_loader's BAD_OPTION) is named, as the inline platform names it
  return new CliExit(ExitCode.RUNTIME, /^the module needs /.test(msg) ? `${name}: ${msg}` : msg);
}

/**
 * Run the container on the sentry platform with the CLI's stdio and
 * signals, with the published `ports` (already bound); resolves to the wait result (its `exitCode` is the process exit
 * code). The container is `prepared` (`sentryConfig`'s) if given, else
 * written from `o`; the module, strace and label always come from `o`.
 * Throws CliExit for 125/126/127 failures before the workload runs.
 */
export async function runOnSentry(o: SentryRunOptions, prepared?: RunConfig, ports?: OpenPorts): Promise<WaitResult> {
  if (o.strace) throw new CliExit(ExitCode.RUNTIME, '--strace works on the inline platform only: drop --platform sentry');
  const name = o.label ?? o.file ?? o.argv0 ?? 'module';
  const bytes = await moduleBytes(o);
  const { config, root } = prepared ?? sentryConfig(o);
  const rootfs = rootfsOf(root);
  let pending: NodeJS.Signals | null = null;
  let container: import('../runtime/container.js').Container | null = null;
  const forward = (sig: NodeJS.Signals) => {
    if (container) void container.kill(sig).catch(() => {});
    else pending ??= sig;
  };
  for (const s of FORWARDED) process.on(s, forward);
  let unwire: (() => void) | null = null;
  const { Runtime } = await import('../runtime/runtime.js');
  let rt: import('../runtime/runtime.js').Runtime | null = null;
  try {
    // one-shot: no warm pool (a pooled worker would be refilled after launch and never used)
    rt = await Runtime.create({ poolSize: 0 });
    // published ports (bound by the caller, who frees them after): the listeners move to the Sentry
    const net = ports && handOffPorts(ports);
    const c = await rt.run({ module: bytes, config, rootfs, stdin: 'pipe', capture: false, net }).catch((err: unknown) => { throw cliError(err, name); });
    container = c;
    unwire = wireHostStdio(c.init);
    if (pending) forward(pending);
    const r = await c.wait();
    await c.delete().catch(() => {});
    return r;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    unwire?.();
    if (rt) await rt.close();
  }
}
