/**
 * RotatingLog (src/runtime/detached/log_file.ts): the capped log of a
 * detached container keeps whole lines across a rotation, even when the
 * guest's writes split lines (a fully buffered stdout flushes mid-line).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLog } from '../../../src/runtime/detached/log_file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logIn(maxSize: number): { log: RotatingLog; path: string } {
  const d = mkdtempSync(join(tmpdir(), 'wv-logfile-'));
  dirs.push(d);
  const path = join(d, 'ctr.log');
  return { log: new RotatingLog({ path, maxSize }), path };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('RotatingLog', () => {
  it('a write that continues a line and has no newline that fits moves the line\'s start to the new file', () => {
    const { log, path } = logIn(16);
    log.write(enc('line 1\nline')); // 11 bytes: the live file ends inside "line 2"
    log.write(enc(' 2 is long\n')); // would pass 16 with no newline within the 5 bytes left
    log.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('line 1\n');
    expect(readFileSync(path, 'utf8')).toBe('line 2 is long\n');
  });

  it('a write larger than the cap keeps its last bytes from a line start, and the old file drops a line it cannot carry', () => {
    const { log, path } = logIn(16);
    log.write(enc('line 0\nline 1')); // the live file ends inside a line
    log.write(enc('000\nline 2\nline 3\nline 4\n')); // no newline fits in the 3 bytes left; 'line 1' + this is over the cap
    log.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('line 0\n');
    expect(readFileSync(path, 'utf8')).toBe('line 3\nline 4\n');
  });

  it('many small writes split at random places: every rotated file holds whole lines only, within the cap', () => {
    const { log, path } = logIn(200);
    let text = '';
    for (let i = 0; i < 400; i++) text += `line ${i}\n`;
    let seed = 7;
    let off = 0;
    while (off < text.length) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 23);
      log.write(enc(text.slice(off, off + n)));
      off += n;
      const old = (() => { try { return readFileSync(`${path}.1`, 'utf8'); } catch { return undefined; } })();
      if (old !== undefined) {
        expect(old.endsWith('\n')).toBe(true);
        expect(old.split('\n').slice(0, -1).every((l) => /^line \d+$/.test(l))).toBe(true);
      }
      expect(statSync(path).size).toBeLessThanOrEqual(200);
    }
    log.close();
    const both = readFileSync(`${path}.1`, 'utf8') + readFileSync(path, 'utf8');
    expect(both.split('\n').slice(0, -1).every((l) => /^line \d+$/.test(l))).toBe(true);
    expect(both.endsWith('line 399\n')).toBe(true);
  });
});
