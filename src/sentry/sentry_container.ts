/**
 * What the Sentry needs of one container's kernel state, and how it gets
 * one. The runtime's container builder provides it (today `KernelContainer`,
 * src/runtime/kernel_container.ts, bound by the Sentry worker's entry
 * src/runtime/sentry_worker.ts), so that the dependency runs runtime →
 * sentry and never back. Types only.
 */
import type { Cgroup } from '../../kernel/cgroup/cgroup.js';
import type { CpuController } from '../../kernel/cgroup/cpu.js';
import type { Verdict } from '../../kernel/cgroup/controller.js';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { Host } from '../../kernel/host.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { ConsoleWindow } from '../../kernel/task/console.js';
import type { ExitStatus } from '../../kernel/task/exit.js';
import type { Task } from '../../kernel/task/task.js';
import type { CgroupStats, DiffWire, ProcessSpec, ContainerSpec } from './control_plane.js';
import type { TarEntry } from '../image/build/tar_writer.js';
import type { TraceEntry } from '../testing/trace.js';

/** A live task of a container, as the Sentry tracks it. */
export interface SentryContainerTask {
  readonly task: Task;
  /** Its channel id (the Sentry's hub slot). */
  readonly channelId: number;
}

/** What a signal does to a container's tasks. */
export type SignalAction = { kind: 'exit'; status: ExitStatus } | { kind: 'stop' | 'continue' | 'ignore' };

/** One container's kernel state inside the Sentry. */
export interface SentryContainer {
  readonly id: string;
  readonly spec: ContainerSpec;
  /** Its own kernel (pid namespace: init is pid 1). */
  readonly kernel: Kernel;
  /** Live (and not yet reaped) tasks by pid. */
  readonly tasks: ReadonlyMap<number, SentryContainerTask>;
  /** True while the container is paused (its tasks stop at their next syscall). */
  paused: boolean;
  /** Syscalls served for this container (the Sentry counts them). */
  syscalls: number;
  /** Create a task on channel `channelId`; its console output goes to `out`. Throws when pids.max is reached. */
  spawn(proc: ProcessSpec, channelId: number, out: (fd: 1 | 2, data: Uint8Array) => void, windows?: readonly [ConsoleWindow, ConsoleWindow]): SentryContainerTask;
  /** The guest memory of `pid` is now `bytes` (charged to the memory cgroup); the memory controller's verdict, for the Sentry to carry out. */
  chargeMemory(pid: number, bytes: number): Verdict;
  /** The cgroup controllers' verdict after the container's usage changed (the OOM decision); the Sentry carries it out. */
  checkCgroup(): Verdict;
  /** Its cpu controller, which its metered tasks charge when they call out of fuel (absent: not metered). */
  readonly cpu?: CpuController;
  /** Pids of live tasks. */
  livePids(): number[];
  /** Forget an ended task. */
  reap(pid: number): void;
  /** Feed stdin of `pid` (null: EOF). */
  writeStdin(pid: number, data: Uint8Array | null): void;
  /** What signal `sig` (WASI number) does to the container's tasks. */
  signalAction(sig: number): SignalAction;
  stats(): CgroupStats;
  /** The container's changes to its root; `pause` runs between slices of the walk. */
  diff(pause?: () => Promise<void>): Promise<DiffWire>;
  /** Its upper layer as OCI layer tar entries (`commit`). */
  layer(): TarEntry[];
  /** The container is gone: close the host handles it holds (its --rootfs, its binds). */
  close(): void;
  /** Set when the spec asks for a trace: record one finished call of `pid` (kernel/platform/sentry.ts `onCall`). */
  readonly onCall?: (pid: number, name: string, args: unknown, errno: number, value: unknown, ns: bigint, exited: boolean) => void;
  /** The clock of traced durations (a virtual clock's, read without moving it). */
  readonly traceClock?: () => bigint;
  /** The calls recorded so far ([] when not tracing). */
  trace(): TraceEntry[];
  /** Move the virtual clock forward (throws without one). */
  advanceClock(ns: bigint): void;
}

/** Builds a container's kernel state in the Sentry (`layers`: the layer trees the Sentry holds, by id; `parent`: its parent cgroup). */
export type SentryContainerFactory = (host: Host, id: string, spec: ContainerSpec, layers: ReadonlyMap<string, LayerTree>, log?: (line: string) => void, parent?: Cgroup) => SentryContainer;
