/**
 * `wasmvisor logs -t/--since/--until` (issue 15 point 3) through the real CLI:
 * a detached ticker prints a line every 300 ms; -t shows each line's time
 * (Go's RFC3339Nano, as podman), --since/--until select lines by it in
 * podman's forms (RFC 3339, Unix seconds, durations), -f --until stops, and a
 * bad time is one line, exit 125.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeCli } from '../support/wv_cli.js';
import { killLeftovers, until } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const TICKER = join(TOP, 'wasm/ticker.wasm');

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let store: string;


const { wv, ok } = storeCli(() => store, { quiet: true });


/** Go's RFC3339Nano: fraction without trailing zeros, Z or an offset. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*[1-9])?(?:Z|[+-]\d\d:\d\d)) (tick \d+)$/;

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build`');
  store = mkdtempSync(join(tmpdir(), 'wv-logs-time-'));
});

afterAll(() => {
  killLeftovers(join(store, 'containers'));
  rmSync(store, { recursive: true, force: true });
});

it('-t, --since and --until as podman', async () => {
  const before = Date.now();
  const id = ok(['run', '-d', '--name', 'ticks', TICKER, '6', '300']).trim();
  await until('the ticker to end', () => (wv(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim() === 'exited' ? true : undefined), 60_000);
  const after = Date.now();

  const stamped = ok(['logs', '-t', 'ticks']).split('\n').slice(0, -1).map((l) => {
    const m = STAMP.exec(l);
    if (!m) throw new Error(`not a stamped line: ${l}`);
    return { t: m[1]!, ms: Date.parse(m[1]!), line: m[2]! };
  });
  expect(stamped.map((s) => s.line)).toEqual(['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6']);
  for (const s of stamped) {
    expect(s.ms).toBeGreaterThanOrEqual(before - 1000);
    expect(s.ms).toBeLessThanOrEqual(after + 1000);
  }
  // the ticker sleeps 300 ms between lines: each line's time is later than the one before
  for (let i = 1; i < stamped.length; i++) expect(stamped[i]!.ms).toBeGreaterThan(stamped[i - 1]!.ms);
  expect(ok(['logs', 'ticks'])).toBe('tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\n'); // without -t: the bare lines

  // the printed times select lines exactly, both bounds inclusive
  const t3 = stamped[2]!.t;
  expect(ok(['logs', '--since', t3, 'ticks'])).toBe('tick 3\ntick 4\ntick 5\ntick 6\n');
  expect(ok(['logs', '--until', t3, 'ticks'])).toBe('tick 1\ntick 2\ntick 3\n');
  expect(ok(['logs', '--since', stamped[1]!.t, '--until', stamped[3]!.t, 'ticks'])).toBe('tick 2\ntick 3\ntick 4\n');
  expect(ok(['logs', '-t', '--tail', '2', 'ticks'])).toBe(`${stamped[4]!.t} tick 5\n${stamped[5]!.t} tick 6\n`);

  // Unix seconds, durations, dates
  const unix = (ms: number) => (ms / 1000).toFixed(3);
  expect(ok(['logs', '--since', unix(stamped[4]!.ms - 1), 'ticks'])).toBe('tick 5\ntick 6\n');
  expect(ok(['logs', '--since', '10m', 'ticks']).split('\n')).toHaveLength(7);
  expect(ok(['logs', '--since', '-1h', 'ticks'])).toBe(''); // a negative duration is in the future
  expect(ok(['logs', '--until', '1h30m', 'ticks']).split('\n')).toHaveLength(7);
  expect(ok(['logs', '--until', '2000-01-01', 'ticks'])).toBe('');
  expect(ok(['logs', '--since', '2000-01-01T00:00:00', 'ticks']).split('\n')).toHaveLength(7);

  // two containers: the id before the time, as podman
  const other = ok(['run', '-d', TICKER, '1', '10']).trim();
  await until('the second ticker to end', () => (wv(['inspect', '-f', '{{.State.Status}}', other]).stdout.trim() === 'exited' ? true : undefined), 60_000);
  const multi = ok(['logs', '-t', id, other]).split('\n').slice(0, -1);
  expect(multi).toHaveLength(7);
  expect(multi[0]).toBe(`${id.slice(0, 12)} ${stamped[0]!.t} tick 1`);
  expect(multi[6]).toMatch(new RegExp(`^${other.slice(0, 12)} \\S+ tick 1$`));

  for (const bad of [['--since', 'yesterday'], ['--until', '10 minutes'], ['--since', '2026-13-45']]) {
    const r = wv(['logs', ...bad, 'ticks']);
    expect(r.code, bad.join(' ')).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^wasmvisor: invalid ${bad[0]} .*unable to interpret time value`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
  ok(['rm', id, other]);
});

it('logs -f --until stops once that time has passed while the container runs on', async () => {
  const id = ok(['run', '-d', TICKER, '0', '200']).trim();
  const started = Date.now();
  const r = wv(['logs', '-f', '--until', '2s', id]);
  expect(r.code, r.stderr).toBe(0);
  expect(Date.now() - started).toBeLessThan(45_000); // it stopped (the ticker never ends)
  expect(r.stdout).toMatch(/^tick 1\n/);
  expect(wv(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim()).toBe('running');
  ok(['rm', '-f', id]);
});
