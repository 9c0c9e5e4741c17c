/**
 * The timed records of a detached container's log (src/runtime/detached/log_records.ts):
 * a guest's writes become CRI records (`TIME STREAM F|P CONTENT`), and reading them
 * back gives the guest's bytes, each line with the time its first part was written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordReader, TimedLog, formatRecords, parseRfc3339Ns, recordTime, type LogPiece } from '../../../src/runtime/detached/log_records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const T1 = '2026-12-07T18:55:00.000000001Z';
const T2 = '2026-12-07T18:55:01.500000000Z';

function readAll(text: string | Buffer): LogPiece[] {
  const out: LogPiece[] = [];
  const rr = new RecordReader();
  const b = Buffer.from(text);
  // fed in odd chunks: a record split between reads waits for its newline
  for (let i = 0; i < b.length; i += 7) rr.push(b.subarray(i, i + 7), (p) => out.push(p));
  rr.flush((p) => out.push(p));
  return out;
}

describe('log records', () => {
  it('a write becomes one F record per line and a P record for a part without its newline', () => {
    expect(formatRecords(enc('a\nbc\nd'), 'stdout', T1).toString()).toBe(`${T1} stdout F a\n${T1} stdout F bc\n${T1} stdout P d\n`);
    expect(formatRecords(enc('\n'), 'stderr', T1).toString()).toBe(`${T1} stderr F \n`);
  });

  it('a line longer than a record may be is cut into P records; read back whole', () => {
    const long = 'x'.repeat(250);
    const recs = formatRecords(enc(`${long}\n`), 'stdout', T1, 100).toString().split('\n').slice(0, -1);
    expect(recs.map((r) => r.split(' ')[2])).toEqual(['P', 'P', 'F']);
    expect(Buffer.concat(readAll(recs.join('\n') + '\n').map((p) => p.data)).toString()).toBe(`${long}\n`);
  });

  it('parts of a line carry the time of its first part; streams are joined apart; a raw line has no time', () => {
    const text = `${T1} stdout P hel\n${T1} stderr F oops\n${T2} stdout F lo\nraw line\n${T2} stdout F next\n`;
    const ps = readAll(text);
    expect(ps.map((p) => [p.stream, p.data.toString(), p.first])).toEqual([
      ['stdout', 'hel', true], ['stderr', 'oops\n', true], ['stdout', 'lo\n', false], ['stdout', 'raw line\n', true], ['stdout', 'next\n', true],
    ]);
    expect(ps[2]!.ns).toBe(parseRfc3339Ns(T1));
    expect(ps[3]!.ns).toBeUndefined();
    expect(ps[4]!.ns).toBe(parseRfc3339Ns(T2));
  });

  it('recordTime and parseRfc3339Ns agree to the nanosecond', () => {
    const ns = 1_796_000_000_123_456_789n;
    expect(recordTime(ns)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123456789Z$/);
    expect(parseRfc3339Ns(recordTime(ns))).toBe(ns);
    expect(parseRfc3339Ns('2026-12-07T19:55:00.5+01:00')).toBe(parseRfc3339Ns('2026-12-07T18:55:00.500000000Z'));
  });

  it('TimedLog keeps whole records across rotation of a small cap', () => {
    const d = mkdtempSync(join(tmpdir(), 'wv-logrec-'));
    dirs.push(d);
    const path = join(d, 'ctr.log');
    const log = new TimedLog({ path, maxSize: 1024 });
    for (let i = 0; i < 200; i++) log.write(enc(`line ${i}\n`), i % 2 ? 'stderr' : 'stdout');
    log.close();
    const both = readFileSync(`${path}.1`, 'utf8') + readFileSync(path, 'utf8');
    const lines = readAll(both).map((p) => p.data.toString());
    expect(lines.every((l, i) => i === 0 || l === `line ${Number(lines[i - 1]!.slice(5)) + 1}\n`)).toBe(true);
    expect(lines[lines.length - 1]).toBe('line 199\n');
  });
});
