import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, PlainProgress, progressFor, silentProgress, TtyProgress } from '../../src/cli/progress.js';

function sink(tty: boolean): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { text: () => string; isTTY?: boolean; columns?: number; cursorTo?: unknown; clearLine?: unknown; moveCursor?: unknown };
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  s.text = () => out;
  if (tty) {
    s.isTTY = true;
    s.columns = 120;
    s.cursorTo = (_x: number, _y?: number, cb?: () => void) => (cb?.(), true);
    s.clearLine = (_d: number, cb?: () => void) => (cb?.(), true);
    s.moveCursor = (_x: number, _y: number, cb?: () => void) => (cb?.(), true);
  }
  return s;
}

describe('pull progress', () => {
  it('formats sizes', () => {
    expect([formatBytes(12), formatBytes(2048), formatBytes(5 * 2 ** 20 + 2 ** 19)]).toEqual(['12 B', '2.0 KiB', '5.5 MiB']);
  });

  it('off a TTY: one plain line per blob with bytes, time and speed', () => {
    const s = sink(false);
    const p = progressFor({ stream: s as unknown as NodeJS.WriteStream });
    expect(p).toBeInstanceOf(PlainProgress);
    p.start('a', 'Copying blob 0123456789ab', 2048);
    p.advance('a', 2048);
    p.finish('a', 'done');
    p.start('b', 'Copying blob ba9876543210', 10);
    p.finish('b', 'exists');
    expect(s.text()).toMatch(/^Copying blob 0123456789ab: done 2\.0 KiB in \d+\.\ds \(.+\/s\)\nCopying blob ba9876543210: already present\n$/);
  });

  it('on a TTY: per-blob bars with bytes and speed', async () => {
    const s = sink(true);
    const p = progressFor({ stream: s as unknown as NodeJS.WriteStream });
    expect(p).toBeInstanceOf(TtyProgress);
    p.start('a', 'Copying blob 0123456789ab', 4 * 2 ** 20);
    p.advance('a', 2 * 2 ** 20);
    await new Promise((r) => setTimeout(r, 150));
    p.finish('a', 'done');
    p.stop();
    expect(s.text()).toContain('Copying blob 0123456789ab');
    expect(s.text()).toMatch(/2\.0 MiB\/4\.0 MiB \d+\.\d [KMG]iB\/s/);
    expect(s.text()).toMatch(/4\.0 MiB\/4\.0 MiB/);
  });

  it('json and quiet modes print nothing', () => {
    expect(progressFor({ json: true })).toBe(silentProgress);
    expect(progressFor({ quiet: true })).toBe(silentProgress);
  });
});
