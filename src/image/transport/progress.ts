/**
 * Transfer progress events for pull, push, load and save. The library only
 * reports through this interface; how progress is shown (bars on a terminal,
 * plain lines) lives in `src/cli/progress.ts`.
 */

/** Receives transfer events; every method is cheap and never throws. */
export interface Progress {
  /** A blob transfer starts (`total` bytes, `already` present from a resumed ingest). */
  start(id: string, label: string, total: number, already?: number): void;
  /** `bytes` more bytes moved for `id`. */
  advance(id: string, bytes: number): void;
  /** The transfer of `id` ended: 'done' (moved), 'exists' (skipped), 'mounted' or 'failed'. */
  finish(id: string, status: 'done' | 'exists' | 'mounted' | 'failed'): void;
  /** A free-form line (e.g. "Writing manifest"). */
  log(line: string): void;
  /** Flush and release the terminal. */
  stop(): void;
}

/** Progress that reports nothing. */
export const silentProgress: Progress = {
  start() {},
  advance() {},
  finish() {},
  log() {},
  stop() {},
};
