/**
 * How the CLI shows transfer progress (the library's `Progress` events) for pull and push: per-blob bytes and speed on a TTY
 * (cli-progress bars), one plain line per blob otherwise, nothing for
 * `--format json` or `--quiet`.
 */
import cliProgress from 'cli-progress';
import { silentProgress, type Progress } from '../image/transport/progress.js';

export { silentProgress, type Progress };

/** Human size: `12.3 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** One line per blob when it ends, and free-form lines, on `out`. */
export class PlainProgress implements Progress {
  private readonly started = new Map<string, { label: string; at: number; bytes: number }>();

  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}

  start(id: string, label: string): void {
    this.started.set(id, { label, at: Date.now(), bytes: 0 });
  }

  advance(id: string, bytes: number): void {
    const s = this.started.get(id);
    if (s) s.bytes += bytes;
  }

  finish(id: string, status: 'done' | 'exists' | 'mounted' | 'failed'): void {
    const s = this.started.get(id);
    if (!s) return;
    const secs = Math.max((Date.now() - s.at) / 1000, 0.001);
    const detail = status === 'done' ? ` ${formatBytes(s.bytes)} in ${secs.toFixed(1)}s (${formatBytes(s.bytes / secs)}/s)` : '';
    this.out.write(`${s.label}: ${status === 'exists' ? 'already present' : status}${detail}\n`);
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  stop(): void {}
}

/**
 * Per-blob bars with bytes and speed, for a terminal. The bars (and their
 * cursor hiding) start with the first blob: a run whose image is present
 * writes nothing at all, no escape codes and no blank line.
 */
export class TtyProgress implements Progress {
  private bars_?: cliProgress.MultiBar;
  private readonly bars = new Map<string, { bar: cliProgress.SingleBar; at: number; value: number }>();

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get multi(): cliProgress.MultiBar {
    return this.bars_ ??= new cliProgress.MultiBar(
      {
        stream: this.stream,
        format: '{label} [{bar}] {done}/{size} {speed}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(id: string, label: string, total: number, already = 0): void {
    const bar = this.multi.create(Math.max(total, 1), already, { label, done: formatBytes(already), size: formatBytes(total), speed: '' });
    this.bars.set(id, { bar, at: Date.now(), value: already });
  }

  advance(id: string, bytes: number): void {
    const b = this.bars.get(id);
    if (!b) return;
    b.value += bytes;
    const secs = Math.max((Date.now() - b.at) / 1000, 0.001);
    b.bar.update(b.value, { done: formatBytes(b.value), speed: `${formatBytes(b.value / secs)}/s` });
  }

  finish(id: string, status: 'done' | 'exists' | 'mounted' | 'failed'): void {
    const b = this.bars.get(id);
    if (!b) return;
    if (status !== 'done') b.bar.update(b.value, { speed: status === 'exists' ? 'already present' : status });
    else b.bar.update(b.bar.getTotal(), { done: formatBytes(b.bar.getTotal()) });
    b.bar.stop();
  }

  log(line: string): void {
    if (this.bars_ === undefined) this.stream.write(`${line}\n`);
    else this.bars_.log(`${line}\n`);
  }

  stop(): void {
    this.bars_?.stop();
  }
}

/** The right progress for the CLI: none for json/quiet, bars on a TTY, plain lines otherwise. */
export function progressFor(opts: { json?: boolean; quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  if (opts.json || opts.quiet) return silentProgress;
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? new TtyProgress(stream) : new PlainProgress(stream);
}
