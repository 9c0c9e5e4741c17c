/**
 * One process of a container as the host sees it: its pid in the
 * container's pid namespace, its app worker, its stdio streams and the
 * promise of its end. The init process and exec'd processes are both this.
 */
import { SIGNAL_NAMES } from '../../kernel/abi/wasi.js';
import { exitCodeOf, type ExitStatus } from '../../kernel/task/exit.js';
import { OutputStream, stdinWritable } from '../host/web_streams.js';
import type { WaitResult } from './status.js';
import type { AppWorkerHandle, SentryHandle } from '../sentry/worker_host.js';

/** Turn a kernel exit status into what `wait` reports. */
export function waitResultOf(status: ExitStatus, oomKilled: boolean): WaitResult {
  const r: WaitResult = { exitCode: exitCodeOf(status), oomKilled };
  if (status.signal !== undefined) r.signal = `SIG${SIGNAL_NAMES[status.signal] ?? status.signal}`;
  if (status.reason) r.reason = status.reason;
  return r;
}

/** How a process's stdout and stderr are kept and acknowledged. */
export interface ProcessOutputOptions {
  /** Keep output for `stdout.text()` (default true). */
  capture?: boolean;
  /** Bytes kept per stream by `capture` (default 16 MiB, DEFAULT_CAPTURE_LIMIT). */
  captureLimit?: number;
  /** Output bytes of `fd` were delivered (the host acknowledges them to the Sentry). */
  onDelivered?: (fd: 1 | 2, bytes: number) => void;
}

/** A process running (or that ran) in a container. */
export class ContainerProcess {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** The app worker while the task runs. */
  worker: AppWorkerHandle | null = null;
  /** Set once the Sentry reported the end. */
  result: WaitResult | null = null;
  /** True once the app worker finished with the channel. */
  workerDone = false;
  private readonly ended: Promise<WaitResult>;
  private resolveEnd!: (r: WaitResult) => void;

  constructor(
    readonly containerId: string,
    readonly pid: number,
    private readonly sentry: SentryHandle,
    output: ProcessOutputOptions | boolean,
    readonly hasStdin: boolean,
  ) {
    const o = typeof output === 'boolean' ? { capture: output } : output;
    const ack = o.onDelivered;
    this.stdout = new OutputStream({ capture: o.capture, captureLimit: o.captureLimit, onDelivered: ack && ((n) => ack(1, n)) });
    this.stderr = new OutputStream({ capture: o.capture, captureLimit: o.captureLimit, onDelivered: ack && ((n) => ack(2, n)) });
    this.ended = new Promise((r) => { this.resolveEnd = r; });
  }

  /** Record the end (from the Sentry's exit event). */
  finish(status: ExitStatus, oomKilled: boolean): void {
    if (this.result) return;
    this.result = waitResultOf(status, oomKilled);
    this.stdout.end();
    this.stderr.end();
    this.resolveEnd(this.result);
  }

  /** Resolves when the process ended. */
  wait(): Promise<WaitResult> {
    return this.ended;
  }

  /** Write to stdin (the process must have been started with stdin 'pipe'). */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.result) return;
    await this.sentry.api.writeStdin(this.containerId, this.pid, bytes);
  }

  /** Close stdin: the guest reads EOF once the buffer drains. */
  async closeStdin(): Promise<void> {
    if (this.result) return;
    await this.sentry.api.writeStdin(this.containerId, this.pid, null);
  }

  /** Stdin as a web WritableStream. */
  stdinStream(): WritableStream<Uint8Array | string> {
    return stdinWritable((d) => this.write(d), () => this.closeStdin());
  }
}
