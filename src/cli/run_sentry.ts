/**
 * `wasmvisor run --platform sentry`: the same container as the inline
 * platform's `runWasm`, run through the library `Runtime` instead (a kernel
 * worker and one app worker), so that cgroup limits such as `--pids-limit`
 * and `-m` are the sandbox's own and visible under /sys/fs/cgroup.
 *
 * The run options become an OCI config (`sentryConfig`); `toSandbox` and
 * `toProcess` in `src/runtime/config.ts` check it and build what the Sentry
 * runs, as for any library user. Stdio is wired to the CLI's own
 * (stdin → the guest's stdin pipe until EOF), SIGINT/SIGTERM/SIGHUP/SIGQUIT
 * are forwarded to the container, and the exit code is the workload's own,
 * or 125/126/127 as podman.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { wireHostStdio } from '../runtime/detached/host_stdio.js';
import type { OciConfig, OciMount } from '../runtime/config.js';
import type { CreateOptions } from '../runtime/runtime.js';
import type { RunWasmOptions } from '../runtime/run_wasm.js';
import { ContainerError, type WaitResult } from '../runtime/status.js';
import { CliExit, ExitCode } from './exit.js';

/** What `run --platform sentry` needs: the inline options plus the ones only the sandbox enforces. */
export interface SentryRunOptions extends RunWasmOptions {
  /** `--pids-limit`: pids.max of the container's cgroup (undefined: unlimited). */
  pidsLimit?: number;
  /** `--tmpfs PATH[:OPTIONS]` as given (options such as `size=1m,ro` are honoured here). */
  tmpfsSpecs?: readonly string[];
  /** Show the guest a terminal (default: when the host's stdout is one). */
  terminal?: boolean;
}

/** Signals forwarded to the container, as podman's --sig-proxy does. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** The OCI config and root of the container `run` describes (the runtime's own `config.ts` checks it). */
export function sentryConfig(o: SentryRunOptions): { config: OciConfig; rootfs?: CreateOptions['rootfs'] } {
  const mounts: OciMount[] = [];
  const tmpfs = (o.tmpfsSpecs ?? o.tmpfs ?? []).map((spec) => {
    const i = spec.indexOf(':');
    const destination = i < 0 ? spec : spec.slice(0, i);
    if (!destination.startsWith('/')) throw new CliExit(ExitCode.RUNTIME, `--tmpfs ${spec}: the path must be absolute`);
    return { destination, type: 'tmpfs', source: 'tmpfs', options: i < 0 ? [] : spec.slice(i + 1).split(',').filter((x) => x !== '') };
  });
  // as podman's --read-only (with its default --read-only-tmpfs): /tmp stays writable
  if (o.readOnly === true && !tmpfs.some((t) => t.destination === '/tmp')) mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] });
  mounts.push(...tmpfs);
  const binds = [...(o.mounts ?? [])].sort((a, b) => a.container.split('/').length - b.container.split('/').length);
  for (const b of binds) mounts.push({ destination: b.container, type: 'bind', source: b.host, options: ['rbind', b.readonly === true ? 'ro' : 'rw'] });
  const workdir = o.workdir === undefined || o.workdir === '' ? '/' : o.workdir;
  if (!workdir.startsWith('/')) throw new CliExit(ExitCode.RUNTIME, `workdir must be an absolute path: ${workdir}`);
  const env = Array.isArray(o.env) ? [...o.env] : Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (workdir !== '/' && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${workdir}`);
  const argv0 = o.argv0 ?? (o.file ? basename(o.file) : 'main.wasm');
  const config: OciConfig = {
    process: {
      args: [argv0, ...(o.args ?? [])],
      env,
      cwd: workdir,
      terminal: o.terminal ?? process.stdout.isTTY === true,
      user: o.user && { uid: o.user.uid, gid: o.user.gid },
      rlimits: o.fdLimit === undefined ? undefined : [{ type: 'RLIMIT_NOFILE', soft: o.fdLimit, hard: o.fdLimit }],
    },
    root: { readonly: o.readOnly === true },
    hostname: o.hostname,
    mounts,
    linux: {
      resources: {
        memory: o.memoryLimit === undefined ? undefined : { limit: o.memoryLimit },
        pids: o.pidsLimit === undefined ? undefined : { limit: o.pidsLimit },
      },
    },
  };
  const rootfs: CreateOptions['rootfs'] = o.rootfs !== undefined ? { hostPath: o.rootfs }
    : o.lowers && o.lowers.length > 0 ? { layers: [...o.lowers] } : undefined;
  return { config, rootfs };
}

/** The module's bytes, with the inline platform's messages and exit codes for a missing or non-wasm file. */
export async function moduleBytes(o: SentryRunOptions): Promise<Uint8Array> {
  if (o.bytes) return o.bytes;
  if (!o.file) throw new CliExit(ExitCode.RUNTIME, 'no module to run');
  let b: Uint8Array;
  try {
    b = await readFile(o.file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliExit(ExitCode.NOT_FOUND, `${o.file}: no such file`);
    if (code === 'EISDIR') throw new CliExit(ExitCode.CANNOT_RUN, `${o.file}: is a directory, not a WebAssembly module`);
    throw new CliExit(ExitCode.CANNOT_RUN, `${o.file}: cannot read: ${(err as Error).message}`);
  }
  if (b.byteLength < 8 || WASM_MAGIC.some((x, i) => b[i] !== x)) throw new CliExit(ExitCode.CANNOT_RUN, `${o.file}: not a WebAssembly module`);
  return b;
}

function cliError(err: unknown, name: string): unknown {
  if (!(err instanceof ContainerError)) return err;
  const msg = err.message.replace(/^config\.json: /, '');
  if (err.code === 'NOT_FOUND') return new CliExit(ExitCode.NOT_FOUND, `${name}: ${msg}`);
  if (err.code === 'CANNOT_RUN') return new CliExit(ExitCode.CANNOT_RUN, `${name}: ${msg}`);
  return new CliExit(ExitCode.RUNTIME, msg);
}

/**
 * Run the container on the sentry platform with the CLI's stdio and
 * signals; resolves to the wait result (its `exitCode` is the process exit
 * code). Throws CliExit for 125/126/127 failures before the workload runs.
 */
export async function runOnSentry(o: SentryRunOptions): Promise<WaitResult> {
  if (o.strace) throw new CliExit(ExitCode.RUNTIME, '--strace works on the inline platform only: drop --platform sentry');
  const name = o.file ?? o.argv0 ?? 'module';
  const bytes = await moduleBytes(o);
  const { config, rootfs } = sentryConfig(o);
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
    const c = await rt.run({ module: bytes, config, rootfs, stdin: 'pipe', capture: false }).catch((err: unknown) => { throw cliError(err, name); });
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
