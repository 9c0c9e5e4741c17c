/**
 * The control plane between the host (main thread), the Sentry worker and
 * app workers. Types only (comlink style): the control plane is a comlink
 * proxy of `SentryApi`; events flow back on a MessagePort; app workers get
 * one `AppRun` message per task and answer with `AppDone`. The data plane
 * (syscalls) is the SAB channel, whose protocol is
 * kernel/platform/sentry_protocol.ts, not described here.
 */
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import type { SeccompStats } from '../../kernel/seccomp/filter.js';
import type { SeccompProfile } from '../../kernel/seccomp/profile.js';
import type { FaultRule } from '../../kernel/syscalls/faults.js';
import type { TraceEntry } from '../testing/trace.js';

import type { TarEntry } from '../image/build/tar_writer.js';

/** A container's stdio as the Sentry sets it up. */
export interface StdioSpec {
  /** 'pipe': the host feeds stdin through `writeStdin`; 'null': EOF at once. */
  stdin: 'pipe' | 'null';
  /** True if the guest should see terminals. */
  tty?: boolean;
}

/** A mount as the Sentry builds it (already validated by the runtime). */
export type SandboxMount =
  | { kind: 'tmpfs'; target: string; readonly: boolean; sizeBytes?: number }
  | { kind: 'proc'; target: string }
  | { kind: 'bind'; target: string; source: string; readonly: boolean };

/** Everything the Sentry needs to create a container's kernel state. */
export interface ContainerSpec {
  hostname: string;
  /** Lowers of the root overlay, top first: a host directory above layers the Sentry holds; either, both or neither (an empty root). */
  rootfs?: { hostPath?: string; layerIds?: string[] };
  readonlyRoot: boolean;
  mounts: SandboxMount[];
  /** memory.max in bytes (null: max). */
  memoryMax: number | null;
  /** pids.max (null: max). */
  pidsMax: number | null;
  /** cpu.max (quota µs per period µs; null quota: max) and cpu.weight; absent: no limit, weight 100. */
  cpu?: CpuSpec;
  /** Container uid/gid → host id mappings (user namespace), as OCI gives them. */
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** Files to seed in the root before start (e.g. /etc/hostname). */
  files?: { path: string; data: Uint8Array; mode?: number }[];
  /** The checked seccomp profile (kernel/seccomp); absent: unconfined. */
  seccomp?: SeccompProfile;
  /** Bytes the root's private upper layer may hold (`--storage-opt size=`): ENOSPC past it; absent: only memory.max. */
  upperLimit?: number;
  /** memory.high in bytes (OCI memory.reservation, `--memory-reservation`): allocations above it are throttled; absent: max. */
  memoryHigh?: number;
  /** io.max's settings for the upper layer (`rbps=N wbps=N riops=N wiops=N`, from OCI blockIO throttles or --device-*-bps); absent: max. */
  ioMax?: string;
  /** Published ports: the host net helper's port (transferred), handed over for this container's init (src/host/net_port.ts). */
  net?: NetSpec;
  /** Determinism switches, fault rules and the trace (`wasmvisor/testing`, `run --clock/--seed/--inject`); absent: none. */
  testing?: TestingSpec;
  /**
   * The parent cgroup (a tenant or pod: `SentryApi.createGroup`, or OCI
   * `linux.cgroupsPath` "pod123/ctr1" → "pod123"): its memory.max, pids.max,
   * cpu.max and io.max bind the sum of its children. Made without limits if
   * the Sentry has none of that name. Absent: the container's cgroup is a root.
   */
  cgroupParent?: string;
}

/** What makes a container's runs repeat and fail on purpose (src/testing/). */
export interface TestingSpec {
  /** A virtual clock: wall-clock start (ns since the epoch), monotonic start and step per reading (ns). */
  clock?: { realtimeNs: bigint; monotonicNs: bigint; stepNs: bigint };
  /** Seed of random_get and /dev/urandom. */
  seed?: number;
  /** Fault rules (kernel/syscalls/faults.ts), checked by the runtime. */
  faults?: FaultRule[];
  /** Record every call of every process as data (`SentryApi.trace`). */
  trace?: boolean;
}

/**
 * A container's published ports as they cross to the Sentry: the port of
 * the host's net helper (node_net_helper.ts's protocol) and its shared
 * counter, the listeners bound for it (named for LISTEN_FDNAMES), and the
 * helper's events already received for them, replayed first.
 */
export interface NetSpec {
  port: MessagePort;
  seq: SharedArrayBuffer;
  listeners: { id: number; name: string }[];
  replay: [string, ...unknown[]][];
}

/** The cpu controller's settings of a container (OCI linux.resources.cpu, --cpus, --cpu-quota, --cpu-period, --cpu-shares). */
export interface CpuSpec {
  quota: number | null;
  period: number;
  weight: number;
}

/** One OCI id mapping: container ids [containerID, containerID+size) → host [hostID, …). */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** One process to start in a container. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  /** RLIMIT_NOFILE soft limit. */
  nofile?: number;
  /** RLIMIT_CPU in seconds of CPU (metered): SIGXCPU at soft, SIGKILL at hard. */
  cpuLimit?: { soft: number; hard: number };
  stdio: StdioSpec;
}

/** What `spawn` returns: the task's pid in its container and its channel. */
export interface SpawnResult {
  pid: number;
  channelId: number;
  channel: SharedArrayBuffer;
  hub: SharedArrayBuffer;
}

/** cgroup v2 figures of one container. */
export interface CgroupStats {
  memoryCurrent: number;
  memoryPeak: number;
  memoryMax: number | null;
  /** memory.events counters. */
  memoryEvents: { low: number; high: number; max: number; oom: number; oom_kill: number };
  pidsCurrent: number;
  pidsMax: number | null;
  /** cpu.stat and cpu.max/cpu.weight (absent where no cpu controller runs). */
  cpu?: { usageUsec: number; nrPeriods: number; nrThrottled: number; throttledUsec: number; quota: number | null; period: number; weight: number };
  /** Syscalls served for this container. */
  syscalls: number;
  /** What the seccomp profile refused, killed or logged (absent: unconfined). */
  seccomp?: SeccompStats;
  /** memory.high (null: max). */
  memoryHigh?: number | null;
  /** memory.stat: linear memories (anon) and in-memory files (file). */
  memoryStat?: { anon: number; file: number };
  /** io.stat of the upper layer, io.max (null: max) and how many calls io.max parked. */
  io?: { rbytes: number; wbytes: number; rios: number; wios: number; rbps: number | null; wbps: number | null; riops: number | null; wiops: number | null; throttled: number };
}

/** One `diff` line, as podman prints it: A added, C changed, D deleted. */
export interface DiffEntry {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/**
 * A diff as the Sentry sends it, in path order: record i is `names[i]`
 * under record `parents[i]` (-1: the root), with kind `kinds[i]` ('A', 'C',
 * 'D', or '-' for a directory listed only as a parent). The caller builds
 * the paths (`diffPaths`), so a deep tree costs the Sentry no long strings.
 */
export interface DiffWire {
  names: string[];
  parents: number[];
  kinds: string;
}

/** The Sentry's control plane (comlink). Errors are thrown as `{code, message}`-carrying Errors. */
export interface SentryApi {
  /** Attach the events port; answers the hub every channel rings. */
  init(events: MessagePort): SharedArrayBuffer;
  /** Hold a layer (shared by every container of this Sentry that names its id). */
  addLayer(tree: LayerTree): void;
  /** Hold a layer read on demand from host directory `path` (a `layerTreeFromHost` tree, rebuilt here under `id`). */
  addHostLayer(id: string, path: string): void;
  /** Ids of layers held. */
  layers(): string[];
  createContainer(id: string, spec: ContainerSpec): void;
  /** The calls recorded so far (spec.testing.trace), every process's, in order; [] when not tracing. */
  trace(id: string): TraceEntry[];
  /** Move the container's virtual clock forward by `ns` (EINVAL without one). */
  advanceClock(id: string, ns: bigint): void;
  /**
   * Make (or update) parent cgroup `path` with control-file settings
   * (`{ 'memory.max': '8388608', 'pids.max': '4', 'cpu.max': '50000 100000' }`);
   * "a/b" nests under "a" when that exists.
   */
  createGroup(path: string, settings: Record<string, string>): void;
  /** A parent cgroup's figures, flat (`memory.current`, `pids.current`, …). */
  groupStats(path: string): Record<string, number | null>;
  /** Forget a parent cgroup (its containers keep it until they go). */
  deleteGroup(path: string): void;
  /** `createContainer` then `spawn` of its init, in one round trip. */
  createAndSpawn(id: string, spec: ContainerSpec, init: ProcessSpec): SpawnResult;
  /** Create a task; fails with EAGAIN when pids.max is reached. */
  spawn(id: string, proc: ProcessSpec): SpawnResult;
  /** Feed stdin of `pid` (null: EOF). */
  writeStdin(id: string, pid: number, data: Uint8Array | null): void;
  /** Deliver `sig` (WASI number) to `pid` (or to init and so every task when pid is 1); returns pids that ended. */
  signal(id: string, pid: number, sig: number): number[];
  /** The app worker of `pid` died (heap exhaustion, crash, terminate): end the task with `status`. */
  taskDied(id: string, pid: number, status: ExitStatus): void;
  /**
   * The host delivered `bytes` more of a task's output (one entry per stream,
   * one call per batch of events): frees room in the stream's window, so a
   * write parked on a full window resumes. Unknown tasks are ignored.
   */
  ack(acks: OutputAck[]): void;
  /** Release the channel of `pid` (its app worker is done with it). */
  release(id: string, pid: number): void;
  pause(id: string): void;
  resume(id: string): void;
  stats(id: string): CgroupStats;
  diff(id: string): Promise<DiffWire>;
  /** The container's upper layer as OCI layer tar entries (whiteouts for deletions): `commit`'s new layer. */
  layer(id: string): TarEntry[];
  /** Pids of live tasks of the container. */
  pids(id: string): number[];
  destroy(id: string): void;
  /** Fault injection for tests: 'crash' throws an uncaught error in the Sentry worker. */
  fault(kind: 'crash'): void;
}

/** Output bytes of one stream the host delivered (see `SentryApi.ack`). */
export interface OutputAck {
  id: string;
  pid: number;
  fd: 1 | 2;
  bytes: number;
}

/**
 * Events from the Sentry to the host. The bytes of 'out' events count
 * against their stream's window (`CONSOLE_WINDOW` by default) until the
 * host acknowledges them with `SentryApi.ack`.
 */
export type SentryEvent =
  | { t: 'out'; id: string; pid: number; fd: 1 | 2; data: Uint8Array }
  | { t: 'exit'; id: string; pid: number; status: ExitStatus; oomKilled: boolean }
  | { t: 'bug'; message: string }
  /** A seccomp denial, kill or LOG of container `id` (one operator log line, without the container id). */
  | { t: 'seccomp'; id: string; line: string };

/** Host → app worker: run one task. */
export interface AppRun {
  t: 'run';
  module: WebAssembly.Module;
  channel: SharedArrayBuffer;
  hub: SharedArrayBuffer;
  channelId: number;
  pid: number;
  /** Fault injection (tests): 'heap' exhausts the worker's JS heap before running. */
  fault?: 'heap';
}

/** App worker → host: the task's `_start` returned, trapped or could not run. */
export type AppDone =
  | { t: 'ready' }
  | { t: 'done'; pid: number; status: ExitStatus }
  | { t: 'error'; pid: number; code: string; message: string };
