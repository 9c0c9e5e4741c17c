/**
 * The subset of the OCI runtime config (config.json) that containers use:
 * process (args, env, cwd, user, rlimits), root.readonly, hostname, mounts
 * (proc, tmpfs, bind ro/rw), linux.namespaces, uid/gid mappings,
 * resources.memory.limit and pids.limit, annotations. `toContainerSpec` checks it
 * and turns it into what the Sentry builds.
 *
 * Every container has a memory budget: without `memory.limit` (or with -1,
 * "unlimited") it gets the default of memory_default.ts, as `-m` does on the
 * inline platform. RLIMIT_NOFILE above Linux's `nr_open` (1,048,576) is
 * refused, as runc on Linux fails to set it (EPERM); "infinity" included.
 */
import { cgroupParentOf, TESTING_ANNOTATION, testingSpecOf } from './testing_spec.js';
import { checkProfile, SeccompProfileError } from '../../kernel/seccomp/profile.js';
import { NR_OPEN } from '../../kernel/task/fd_table.js';
import type { CpuSpec, IdMapping, ProcessSpec, SandboxMount, ContainerSpec } from '../sentry/control_plane.js';
import { ContainerError } from './status.js';

/** OCI `process`. */
export interface OciProcess {
  args?: string[];
  env?: string[];
  cwd?: string;
  terminal?: boolean;
  user?: { uid?: number; gid?: number; additionalGids?: number[] };
  rlimits?: { type: string; soft: number; hard: number }[];
}

/** OCI mount. */
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** The config.json subset. */
export interface OciConfig {
  ociVersion?: string;
  process?: OciProcess;
  root?: { path?: string; readonly?: boolean };
  hostname?: string;
  mounts?: OciMount[];
  annotations?: Record<string, string>;
  linux?: {
    namespaces?: { type: string; path?: string }[];
    uidMappings?: IdMapping[];
    gidMappings?: IdMapping[];
    resources?: { memory?: { limit?: number; reservation?: number }; pids?: { limit?: number }; blockIO?: OciBlockIO; cpu?: { quota?: number; period?: number; shares?: number } };
    /** OCI seccomp profile (kernel/seccomp): checked by toContainerSpec; absent: unconfined. */
    seccomp?: unknown;
    /** The container's cgroup path: "pod123/ctr1" nests it under parent cgroup "pod123" (testing_spec.ts `cgroupParentOf`). */
    cgroupsPath?: string;
  };
}

/** One OCI blockIO throttle: a device and its rate (bytes or operations per second). */
export interface OciThrottle {
  major: number;
  minor: number;
  rate: number;
}

/** OCI linux.resources.blockIO: only the throttles map (onto io.max of the upper layer; the device named is taken to be it). */
export interface OciBlockIO {
  throttleReadBpsDevice?: OciThrottle[];
  throttleWriteBpsDevice?: OciThrottle[];
  throttleReadIOPSDevice?: OciThrottle[];
  throttleWriteIOPSDevice?: OciThrottle[];
}

/**
 * blockIO throttles as io.max settings (`rbps=N wbps=N ...`) of the
 * container's one device, its upper layer: the lowest rate given for each
 * kind, whatever device it names (the container has no other). Undefined: none.
 */
function ioMaxOf(b: OciBlockIO | undefined): string | undefined {
  if (b === undefined) return undefined;
  const parts: string[] = [];
  for (const [key, list] of [['rbps', b.throttleReadBpsDevice], ['wbps', b.throttleWriteBpsDevice], ['riops', b.throttleReadIOPSDevice], ['wiops', b.throttleWriteIOPSDevice]] as const) {
    if (list === undefined || list.length === 0) continue;
    for (const t of list) if (!Number.isSafeInteger(t.rate) || t.rate <= 0) bad(`blockIO ${key} rate must be a positive integer, got ${t.rate}`);
    parts.push(`${key}=${Math.min(...list.map((t) => t.rate))}`);
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/**
 * The annotation that caps a container's upper layer in bytes (`run
 * --storage-opt size=`; in a runc bundle's config.json as any annotation):
 * the root's writes past it fail with ENOSPC. The runtime-spec has no field
 * for it (podman keeps it in its own container config).
 */
export const STORAGE_SIZE_ANNOTATION = 'org.wasmvisor.storage.size';

const KNOWN_NS = new Set(['pid', 'mount', 'uts', 'user', 'ipc', 'network', 'cgroup']);

function bad(msg: string): never {
  throw new ContainerError('INVALID_CONFIG', `config.json: ${msg}`);
}

function absolute(p: string, what: string): string {
  if (!p.startsWith('/')) bad(`${what} must be an absolute path, got ${JSON.stringify(p)}`);
  if (p.split('/').includes('..')) bad(`${what} must not contain "..": ${p}`);
  return p;
}

function mountOf(m: OciMount): SandboxMount | null {
  const target = absolute(m.destination, 'mount destination');
  const opts = m.options ?? [];
  const ro = opts.includes('ro');
  const type = m.type ?? (opts.includes('bind') || opts.includes('rbind') ? 'bind' : undefined);
  switch (type) {
    case 'proc': return { kind: 'proc', target };
    case 'tmpfs': {
      const size = opts.find((o) => o.startsWith('size='))?.slice(5);
      return { kind: 'tmpfs', target, readonly: ro, sizeBytes: size ? parseSize(size) : undefined };
    }
    case 'bind':
    case 'none':
      if (!m.source) bad(`bind mount ${target} has no source`);
      return { kind: 'bind', target, source: m.source, readonly: ro };
    case 'sysfs':
    case 'cgroup':
    case 'cgroup2':
    case 'devpts':
    case 'mqueue':
      return null; // provided by the kernel itself (/sys/fs/cgroup, /dev)
    default:
      return bad(`mount ${target}: type ${String(m.type)} is not supported (proc, tmpfs, bind)`);
  }
}

/** Parse "64m", "1g", "4096". */
export function parseSize(s: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(s.trim());
  if (!m) bad(`bad size ${JSON.stringify(s)}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** Map container id `id` through `maps` (identity when none). Throws if unmapped. */
export function mapId(maps: readonly IdMapping[], id: number): number {
  if (maps.length === 0) return id;
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return bad(`id ${id} is not mapped by the user namespace's mappings`);
}

/**
 * The Sentry-side spec of a container. `memoryDefault` is the budget of a
 * container whose config sets no memory limit (`defaultMemoryLimit`); only
 * a check of the config (no container) may leave it out.
 */
export function toContainerSpec(cfg: OciConfig, memoryDefault?: number): ContainerSpec {
  const ns = cfg.linux?.namespaces ?? [];
  for (const n of ns) {
    if (!KNOWN_NS.has(n.type)) bad(`unknown namespace type ${n.type}`);
    if (n.path) bad(`joining an existing ${n.type} namespace (path) is not supported`);
  }
  const hasUser = ns.some((n) => n.type === 'user');
  const uidMappings = cfg.linux?.uidMappings ?? [];
  const gidMappings = cfg.linux?.gidMappings ?? [];
  if (!hasUser && (uidMappings.length > 0 || gidMappings.length > 0)) bad('uidMappings/gidMappings need a user namespace');
  const mem = cfg.linux?.resources?.memory?.limit;
  const pids = cfg.linux?.resources?.pids?.limit;
  const cpu = cpuSpecOf(cfg.linux?.resources?.cpu);
  if (mem !== undefined && mem !== -1 && !(mem > 0)) bad(`memory.limit must be positive, got ${mem}`);
  if (pids !== undefined && pids !== -1 && !(pids > 0)) bad(`pids.limit must be positive, got ${pids}`);
  const hasUts = ns.some((n) => n.type === 'uts');
  if (cfg.hostname !== undefined && ns.length > 0 && !hasUts) bad('hostname needs a uts namespace');
  const ioMax = ioMaxOf(cfg.linux?.resources?.blockIO);
  const reservation = cfg.linux?.resources?.memory?.reservation;
  if (reservation !== undefined && reservation !== -1 && !(Number.isSafeInteger(reservation) && reservation > 0)) bad(`memory.reservation must be a positive number of bytes, got ${reservation}`);
  const storage = cfg.annotations?.[STORAGE_SIZE_ANNOTATION];
  if (storage !== undefined && !/^[1-9][0-9]{0,15}$/.test(storage)) bad(`annotation ${STORAGE_SIZE_ANNOTATION} must be a positive number of bytes, got ${JSON.stringify(storage)}`);
  let seccomp;
  try {
    seccomp = cfg.linux?.seccomp === undefined || cfg.linux.seccomp === null ? undefined : checkProfile(cfg.linux.seccomp);
  } catch (e) {
    if (e instanceof SeccompProfileError) bad(`linux.seccomp: ${e.message}`);
    throw e;
  }
  const testingText = cfg.annotations?.[TESTING_ANNOTATION];
  const testing = testingText === undefined ? undefined : testingSpecOf(testingText);
  const cgroupParent = cgroupParentOf(cfg.linux?.cgroupsPath);
  return {
    hostname: cfg.hostname ?? 'wasmvisor',
    readonlyRoot: cfg.root?.readonly === true,
    mounts: (cfg.mounts ?? []).map(mountOf).filter((m): m is SandboxMount => m !== null),
    memoryMax: mem === undefined || mem === -1 ? memoryDefault ?? null : mem,
    pidsMax: pids === undefined || pids === -1 ? null : pids,
    ...(cpu && { cpu }),
    uidMappings,
    gidMappings,
    ...(seccomp && { seccomp }),
    ...(storage !== undefined && { upperLimit: Number(storage) }),
    ...(reservation !== undefined && reservation !== -1 && { memoryHigh: reservation }),
    ...(ioMax !== undefined && { ioMax }),
    ...(testing !== undefined && { testing }),
    ...(cgroupParent !== undefined && { cgroupParent }),
  };
}

/**
 * linux.resources.cpu as the cpu controller's settings (undefined: none):
 * quota/period in µs as cpu.max (runc: a quota ≤ 0 is no limit; period
 * 1 ms..1 s, quota ≥ 1 ms), shares → cpu.weight as crun and systemd map
 * them (2..262144 → 1..10000).
 */
export function cpuSpecOf(c: { quota?: number; period?: number; shares?: number } | undefined): CpuSpec | undefined {
  if (c === undefined || (c.quota === undefined && c.period === undefined && c.shares === undefined)) return undefined;
  const quota = c.quota === undefined || c.quota <= 0 ? null : c.quota;
  const period = c.period === undefined || c.period === 0 ? 100_000 : c.period;
  if (!Number.isInteger(period) || period < 1000 || period > 1_000_000) bad(`linux.resources.cpu.period ${c.period} must be from 1000 to 1000000 (µs)`);
  if (quota !== null && (!Number.isInteger(quota) || quota < 1000)) bad(`linux.resources.cpu.quota ${c.quota} must be at least 1000 (µs), or -1 for no limit`);
  let weight = 100;
  if (c.shares !== undefined && c.shares !== 0) {
    if (!Number.isInteger(c.shares) || c.shares < 2 || c.shares > 262144) bad(`linux.resources.cpu.shares ${c.shares} must be from 2 to 262144`);
    weight = 1 + Math.floor(((c.shares - 2) * 9999) / 262142);
  }
  return { quota, period, weight };
}

/** The process spec of a config's `process` (or an exec's). */
export function toProcess(p: OciProcess | undefined, stdin: 'pipe' | 'null', argv0: string): ProcessSpec {
  const args = p?.args && p.args.length > 0 ? [...p.args] : [argv0];
  const nofile = p?.rlimits?.find((r) => r.type === 'RLIMIT_NOFILE');
  const cpuRl = p?.rlimits?.find((r) => r.type === 'RLIMIT_CPU');
  if (cpuRl && (!Number.isInteger(cpuRl.soft) || !Number.isInteger(cpuRl.hard) || cpuRl.soft < 1 || cpuRl.soft > cpuRl.hard)) {
    bad(`RLIMIT_CPU soft ${cpuRl.soft} must be an integer ≥ 1 (seconds) and ≤ hard ${cpuRl.hard}`);
  }
  if (nofile && (!Number.isInteger(nofile.soft) || !Number.isInteger(nofile.hard) || nofile.soft < 3 || nofile.soft > nofile.hard)) {
    bad(`RLIMIT_NOFILE soft ${nofile.soft} must be an integer ≥ 3 and ≤ hard ${nofile.hard}`);
  }
  if (nofile && nofile.hard > NR_OPEN) {
    bad(`RLIMIT_NOFILE ${nofile.soft}:${nofile.hard} is above nr_open (${NR_OPEN}), which Linux refuses too ("infinity" included): give at most ${NR_OPEN}`);
  }
  return {
    args,
    env: p?.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'],
    cwd: absolute(p?.cwd ?? '/', 'process.cwd'),
    uid: p?.user?.uid ?? 0,
    gid: p?.user?.gid ?? 0,
    nofile: nofile?.soft,
    ...(cpuRl && { cpuLimit: { soft: cpuRl.soft, hard: cpuRl.hard } }),
    stdio: { stdin, tty: p?.terminal === true },
  };
}
