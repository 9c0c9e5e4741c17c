/**
 * What the container library needs from a host to run workers: a Sentry
 * (kernel worker with a comlink control plane and an events port) and app
 * workers. Node (`src/host/node_workers.ts`) and the browser
 * (`src/host/browser_host.ts`) implement it; the library is the same.
 * The Sentry worker's entry is `src/runtime/sentry_worker.ts`, an app
 * worker's `src/sentry/app_worker.ts` (built into dist/, bundled into
 * dist/bundle/ by `npm run build`).
 */
import type { Remote } from 'comlink';
import type { AppDone, AppRun, SentryApi, SentryEvent } from './control_plane.js';

/** A started Sentry. */
export interface SentryHandle {
  readonly api: Remote<SentryApi>;
  /** Hub of its channels. */
  readonly hub: SharedArrayBuffer;
  /** Register the events listener (one). */
  onEvents(fn: (evs: SentryEvent[]) => void): void;
  /** Register the listener for the Sentry's death (a crash of the kernel worker). */
  onCrash(fn: (message: string) => void): void;
  terminate(): Promise<void>;
}

/** A started app worker. */
export interface AppWorkerHandle {
  /** True once the worker loaded its script and waits for runs. */
  readonly ready: boolean;
  run(msg: AppRun): void;
  /** Register the listener for run results (one). */
  onDone(fn: (m: AppDone) => void): void;
  /** Register the listener for the worker's death (crash, heap exhaustion); `oom` for the JS heap. */
  onFailure(fn: (message: string, oom: boolean) => void): void;
  terminate(): Promise<void>;
}

/** An app worker's JS heap limit when `AppLimits.heapMb` is not given, MB (every host). */
export const DEFAULT_APP_HEAP_MB = 64;

/** Limits of an app worker's JS side (guest linear memory is limited by memory.max instead). */
export interface AppLimits {
  heapMb?: number;
  stackMb?: number;
}

/** Options of a Sentry a host starts. */
export interface SentryStartOptions {
  /** Spin budget of its serve loop (0: never spins). */
  spinMax?: number;
  /** Bytes of a task's stdout or stderr in flight to the host before its writes block (default 1 MiB). */
  outputWindow?: number;
}

/** A host that can start workers. */
export interface WorkerHost {
  startSentry(opts?: SentryStartOptions): Promise<SentryHandle>;
  startApp(limits?: AppLimits): AppWorkerHandle;
}
