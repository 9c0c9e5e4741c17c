/**
 * The OCI config of a `run`: the options of `wasmvisor run` (and of the
 * library's `runWasm`) written once as a runtime config plus a root
 * source, which `toContainerSpec` / `toProcess` check and `buildContainer`
 * builds, whichever platform runs it. Isomorphic (no node:*).
 */
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { defaultProfile } from '../../kernel/seccomp/default_profile.js';
import type { SeccompProfile } from '../../kernel/seccomp/profile.js';
import type { IdMapping, TestingSpec } from '../sentry/control_plane.js';
import { TESTING_ANNOTATION, testingAnnotation } from './testing_spec.js';
import { STORAGE_SIZE_ANNOTATION, type OciConfig, type OciMount } from './config.js';
import type { RootSource } from './container_builder.js';
import { ContainerError } from './status.js';

/** A `-v HOST:CTR[:ro]` bind. */
export interface BindMount {
  host: string;
  container: string;
  readonly?: boolean;
}

/** What a run's container is made of (the podman-like flags). */
export interface RunConfigOptions {
  /** argv[0] (default: the file's base name, or "main.wasm"). */
  argv0?: string;
  /** Path of the module, for the default argv[0]. */
  file?: string;
  /** Arguments after argv[0]. */
  args?: readonly string[];
  /** Environment as `KEY=VALUE` strings or a record. */
  env?: readonly string[] | Record<string, string>;
  /** Bind mounts of host directories (mounted shallowest first). */
  mounts?: readonly BindMount[];
  /** Host directory used read-only as the root's top lower layer (never modified). */
  rootfs?: string;
  /** Image layers as the root's read-only lowers, top first; below `rootfs` if both. */
  lowers?: readonly LayerTree[];
  /** Working directory (default "/"; PWD is set to it). */
  workdir?: string;
  /** Host name (/etc/hostname, /proc/sys/kernel/hostname; default "wasmvisor"). */
  hostname?: string;
  /** Make the root read-only; /tmp stays writable (a tmpfs), as podman's --read-only. */
  readOnly?: boolean;
  /** `--tmpfs PATH[:OPTIONS]` (options such as `size=1m,ro`). */
  tmpfs?: readonly string[];
  /** User and group of the process (container ids; default 0:0). */
  user?: { uid: number; gid: number };
  /** memory.max in bytes (`-m`; default: the runtime's default budget). */
  memoryLimit?: number;
  /** pids.max (undefined: none). */
  pidsLimit?: number;
  /** RLIMIT_NOFILE. */
  fdLimit?: number;
  /** OCI linux.resources.cpu: cpu.max quota/period (µs) and shares (→ cpu.weight). */
  cpu?: { quota?: number; period?: number; shares?: number };
  /** RLIMIT_CPU in seconds (`--ulimit cpu=N`): SIGXCPU past it. */
  cpuLimit?: number;
  /** Show the guest a terminal. */
  terminal?: boolean;
  /** User namespace: container → host id mappings (none: no user namespace). */
  uidMappings?: readonly IdMapping[];
  gidMappings?: readonly IdMapping[];
  /**
   * `--security-opt seccomp=`: an OCI seccomp profile (checked when the
   * container is built), or 'unconfined' for none. Default: the runtime's
   * default profile (kernel/seccomp/default_profile.ts).
   */
  seccomp?: SeccompProfile | 'unconfined';
  /** `--storage-opt size=`: bytes the root's private upper layer may hold (ENOSPC past it); undefined: only memory.max bounds it. */
  storageSize?: number;
  /** Virtual clock, seed, fault rules, trace (src/testing/): carried to whichever platform runs it in annotation org.wasmvisor.testing. */
  testing?: TestingSpec;
  /** The parent cgroup (a tenant's or pod's): written as linux.cgroupsPath "PARENT/NAME". */
  cgroupParent?: string;
  /** `--memory-reservation`: memory.high in bytes (OCI memory.reservation); allocations above it are throttled. */
  memoryReservation?: number;
  /** `--device-read-bps` / `--device-write-bps`: io.max rbps/wbps of the upper layer (OCI blockIO throttles), bytes a second. */
  deviceReadBps?: number;
  deviceWriteBps?: number;
}

function bad(msg: string): never {
  throw new ContainerError('INVALID_CONFIG', msg);
}

/** `/a/./b/` → `/a/b`; relative paths and ".." are refused. */
export function normalizeWorkdir(w: string | undefined): string {
  if (w === undefined || w === '') return '/';
  if (!w.startsWith('/')) bad(`workdir must be an absolute path: ${w}`);
  const parts = w.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) bad(`workdir must not contain "..": ${w}`);
  return `/${parts.join('/')}`;
}

/** A run's container as `runConfig` writes it: the OCI config and the root's lowers, what every platform builds from. */
export interface RunConfig {
  config: OciConfig;
  root: RootSource;
}

/** memory.max and RLIMIT_NOFILE (soft) of a run's config, as the options gave them (undefined: not given). */
export function runLimits(config: OciConfig): { memoryLimit?: number; fdLimit?: number } {
  return {
    memoryLimit: config.linux?.resources?.memory?.limit,
    fdLimit: config.process?.rlimits?.find((r) => r.type === 'RLIMIT_NOFILE')?.soft,
  };
}

/** The OCI config and root source of the container `o` describes; throws ContainerError INVALID_CONFIG. */
export function runConfig(o: RunConfigOptions): RunConfig {
  const mounts: OciMount[] = [];
  const tmpfs = (o.tmpfs ?? []).map((spec) => {
    const i = spec.indexOf(':');
    const destination = i < 0 ? spec : spec.slice(0, i);
    if (!destination.startsWith('/')) bad(`--tmpfs ${spec}: the path must be absolute`);
    return { destination, type: 'tmpfs', source: 'tmpfs', options: i < 0 ? [] : spec.slice(i + 1).split(',').filter((x) => x !== '') };
  });
  // as podman's --read-only (with its default --read-only-tmpfs): /tmp stays writable
  if (o.readOnly === true && !tmpfs.some((t) => t.destination === '/tmp')) mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] });
  mounts.push(...tmpfs);
  const binds = [...(o.mounts ?? [])].sort((a, b) => a.container.split('/').length - b.container.split('/').length);
  for (const b of binds) mounts.push({ destination: b.container, type: 'bind', source: b.host, options: ['rbind', b.readonly === true ? 'ro' : 'rw'] });
  const workdir = normalizeWorkdir(o.workdir);
  const env = Array.isArray(o.env) ? [...o.env] : Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (workdir !== '/' && !env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${workdir}`);
  const argv0 = o.argv0 ?? (o.file ? o.file.slice(o.file.lastIndexOf('/') + 1) : 'main.wasm');
  const userns = (o.uidMappings?.length ?? 0) > 0 || (o.gidMappings?.length ?? 0) > 0;
  const config: OciConfig = {
    process: {
      args: [argv0, ...(o.args ?? [])],
      env,
      cwd: workdir,
      terminal: o.terminal === true,
      user: o.user && { uid: o.user.uid, gid: o.user.gid },
      rlimits: o.fdLimit === undefined && o.cpuLimit === undefined ? undefined : [
        ...(o.fdLimit === undefined ? [] : [{ type: 'RLIMIT_NOFILE', soft: o.fdLimit, hard: o.fdLimit }]),
        ...(o.cpuLimit === undefined ? [] : [{ type: 'RLIMIT_CPU', soft: o.cpuLimit, hard: o.cpuLimit }]),
      ],
    },
    root: { readonly: o.readOnly === true },
    hostname: o.hostname,
    ...((o.storageSize !== undefined || o.testing !== undefined) && { annotations: {
      ...(o.storageSize !== undefined && { [STORAGE_SIZE_ANNOTATION]: String(o.storageSize) }),
      ...(o.testing !== undefined && { [TESTING_ANNOTATION]: testingAnnotation(o.testing) }),
    } }),
    mounts,
    linux: {
      namespaces: userns ? ['pid', 'mount', 'uts', 'ipc', 'user'].map((type) => ({ type })) : undefined,
      uidMappings: userns ? [...(o.uidMappings ?? [])] : undefined,
      gidMappings: userns ? [...(o.gidMappings ?? [])] : undefined,
      resources: {
        memory: o.memoryLimit === undefined && o.memoryReservation === undefined ? undefined
          : { ...(o.memoryLimit !== undefined && { limit: o.memoryLimit }), ...(o.memoryReservation !== undefined && { reservation: o.memoryReservation }) },
        pids: o.pidsLimit === undefined ? undefined : { limit: o.pidsLimit },
        ...((o.deviceReadBps !== undefined || o.deviceWriteBps !== undefined) && {
          blockIO: {
            ...(o.deviceReadBps !== undefined && { throttleReadBpsDevice: [{ major: 0, minor: 0, rate: o.deviceReadBps }] }),
            ...(o.deviceWriteBps !== undefined && { throttleWriteBpsDevice: [{ major: 0, minor: 0, rate: o.deviceWriteBps }] }),
          },
        }),
        ...(o.cpu !== undefined && { cpu: { ...o.cpu } }),
      },
      seccomp: o.seccomp === 'unconfined' ? undefined : o.seccomp ?? defaultProfile(),
      ...(o.cgroupParent !== undefined && { cgroupsPath: `${o.cgroupParent}/${argv0.replace(/[^A-Za-z0-9_.-]/g, '_') || 'ctr'}` }),
    },
  };
  const root: RootSource = {};
  if (o.rootfs !== undefined) root.hostPath = o.rootfs;
  if (o.lowers && o.lowers.length > 0) root.layers = [...o.lowers];
  return { config, root };
}
