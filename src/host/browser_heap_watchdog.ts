/**
 * A JS heap watchdog for Web Workers. Node gives each app worker a hard
 * heap limit (`resourceLimits`); a Web Worker has none, so the browser host
 * polls `performance.measureUserAgentSpecificMemory()`, whose breakdown
 * attributes bytes to each dedicated worker by its script URL, and ends a
 * worker found over its limit. Each watched worker gets its own URL (a
 * `#fragment` on the script URL) so that its bytes can be told apart.
 *
 * What the API does in Chromium 156 (Debian, headless), measured by
 * `test/browser/heap_watchdog.test.ts` and by hand:
 * - It exists only in a cross-origin isolated window, not in workers
 *   (neither does `performance.memory`). Firefox and Safari lack it.
 * - Breakdown entries carry `attribution: [{ url, scope:
 *   'DedicatedWorkerGlobalScope' }]`; `url` is the worker's script URL
 *   with its query and fragment. Bytes count the worker's JS heap and its
 *   ArrayBuffers, not WebAssembly memories (the guest's linear memory).
 * - By default the result comes 12–19 s after the call, though its bytes
 *   are taken within the first seconds; making garbage to hasten a GC does
 *   not shorten it. Launched with
 *   `--enable-blink-features=ForceEagerMeasureMemory` (tests, kiosks) it
 *   comes in 20–50 ms with idle workers. So a worker over its limit is
 *   ended some 15–40 s after it crossed it, or about 1 s with the flag.
 * - A worker is measured only when its event loop runs. While any worker
 *   runs a long synchronous task — an app worker running a guest, or
 *   parked in `Atomics.wait` on a system call — the whole measurement
 *   waits for it, up to about 60 s, and then leaves that worker out, even
 *   if it was terminated meanwhile. So the watchdog cannot see an app worker
 *   during a synchronous run: a runaway heap in a loop that never returns
 *   (`fault: 'heap'`) is not caught and grows until the whole renderer
 *   dies (at about 4 GB, some 8 s in). The watchdog ends a worker whose
 *   event loop turns while its heap grows (a test stands in for such a
 *   guest); a parked neighbour only delays it (by up to 60 s).
 */

/** What `performance.measureUserAgentSpecificMemory()` resolves to (the fields used here). */
export interface MemoryMeasurement {
  bytes: number;
  breakdown: { bytes: number; attribution: { url?: string; scope?: string }[]; types: string[] }[];
}

/** Why the watchdog cannot run on this page, or null when it can. */
export function heapWatchdogUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; performance?: { measureUserAgentSpecificMemory?: unknown } };
  if (typeof g.performance?.measureUserAgentSpecificMemory !== 'function') {
    return 'performance.measureUserAgentSpecificMemory() is unavailable (Chromium-based browsers offer it to cross-origin isolated pages)';
  }
  if (g.crossOriginIsolated !== true) return 'the page is not cross-origin isolated';
  return null;
}

/** Options of a HeapWatchdog. */
export interface HeapWatchdogOptions {
  /** Pause between the end of one measurement and the start of the next (default 1000 ms). */
  intervalMs?: number;
  /** The measurement (default: `performance.measureUserAgentSpecificMemory`). */
  measure?: () => Promise<MemoryMeasurement>;
  /** Told once if a measurement fails; the watchdog then stops for good. */
  onBroken?: (err: unknown) => void;
}

interface Watch {
  limitBytes: number;
  onExceeded: (bytes: number) => void;
}

/**
 * Polls memory measurements while at least one worker is watched, one
 * measurement at a time, and calls a watch's `onExceeded` once when its
 * worker's bytes pass the limit (the watch then ends).
 */
export class HeapWatchdog {
  private readonly watches = new Map<string, Watch>();
  private readonly intervalMs: number;
  private readonly measure: () => Promise<MemoryMeasurement>;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private broken = false;

  constructor(private readonly opts: HeapWatchdogOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.measure = opts.measure ?? (() =>
      (performance as unknown as { measureUserAgentSpecificMemory(): Promise<MemoryMeasurement> }).measureUserAgentSpecificMemory());
  }

  /** Watch the worker whose script URL is `url` (absolute, unique); returns the function that ends the watch. */
  watch(url: string, limitBytes: number, onExceeded: (bytes: number) => void): () => void {
    const w: Watch = { limitBytes, onExceeded };
    this.watches.set(url, w);
    this.schedule();
    return () => {
      if (this.watches.get(url) === w) this.watches.delete(url);
    };
  }

  /** Number of workers watched now. */
  get size(): number {
    return this.watches.size;
  }

  private schedule(): void {
    if (this.broken || this.inFlight || this.timer || this.watches.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, this.intervalMs);
  }

  private async poll(): Promise<void> {
    if (this.watches.size === 0) return;
    this.inFlight = true;
    let m: MemoryMeasurement;
    try {
      m = await this.measure();
    } catch (err) {
      this.broken = true;
      this.opts.onBroken?.(err);
      return;
    } finally {
      this.inFlight = false;
    }
    for (const [url, bytes] of bytesByUrl(m)) {
      const w = this.watches.get(url);
      if (!w || bytes <= w.limitBytes) continue;
      this.watches.delete(url);
      w.onExceeded(bytes);
    }
    this.schedule();
  }
}

/** Bytes per URL over the breakdown entries attributed to that URL alone. */
export function bytesByUrl(m: MemoryMeasurement): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of m.breakdown) {
    if (e.attribution.length !== 1) continue;
    const url = e.attribution[0]!.url;
    if (url) out.set(url, (out.get(url) ?? 0) + e.bytes);
  }
  return out;
}
