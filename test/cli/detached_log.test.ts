/**
 * The log of a `run -d` container is capped (red-team issue 9, point 10c):
 * a guest writing as fast as it can for seconds never takes `ctr.log` (nor
 * `ctr.log.1`) past `--log-opt max-size`, nor past the default cap without
 * the flag; `logs` shows the newest output, contiguous; `logs -f` follows
 * across rotations to the end; a bad `--log-opt` is one line and 125.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftovers } from '../runc/fixtures/harness.js';

const TOP = join(import.meta.dirname, '../..');
const BIN = join(TOP, 'bin/wasmvisor.js');
/** Numbered lines in ~64 KiB writes for MS ms, then "done N" (fixtures/log_flood.c). */
const FLOOD = join(TOP, 'test/cli/fixtures/log_flood.wasm');
const MiB = 1024 * 1024;

let store: string;
let containers: string;

interface Ran { code: number | null; stdout: string; stderr: string }

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, WASMVISOR_ROOT: store, ...extra };
  if (!('WASMVISOR_TEST_LOG_MAX_SIZE' in extra)) delete e.WASMVISOR_TEST_LOG_MAX_SIZE;
  return e;
}

function wv(args: string[], extra: Record<string, string> = {}): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: TOP, env: env(extra), timeout: 60_000, maxBuffer: 256 * MiB });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function wvAsync(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: TOP, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { out.push(d); });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }));
  });
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** True once the container's state says it stopped (read directly: sampling must be quick). */
function stopped(id: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(containers, id, 'state.json'), 'utf8')) as { status: string }).status === 'stopped';
  } catch {
    return false; // being rewritten
  }
}

/**
 * Run the flood detached for `ms`, sampling the sizes of ctr.log and
 * ctr.log.1 every few ms until it stopped; the largest sizes seen, the
 * total it wrote, and its id.
 */
async function flood(ms: number, flags: string[], extra: Record<string, string> = {}, whileRunning?: (id: string) => Promise<Ran>) {
  const r = wv(['run', '-d', ...flags, FLOOD, String(ms)], extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  const log = join(containers, id, 'ctr.log');
  const follower = whileRunning?.(id);
  let maxLive = 0;
  let maxOld = 0;
  let samples = 0;
  const end = Date.now() + ms + 30_000;
  for (;;) {
    maxLive = Math.max(maxLive, size(log));
    maxOld = Math.max(maxOld, size(`${log}.1`));
    samples += 1;
    if (stopped(id)) break;
    if (Date.now() > end) throw new Error('the flood did not end');
    await new Promise((res) => setTimeout(res, 2));
  }
  maxLive = Math.max(maxLive, size(log));
  maxOld = Math.max(maxOld, size(`${log}.1`));
  return { id, maxLive, maxOld, samples, followed: await follower };
}

/** Line numbers of "line N" lines; throws on anything else but the final "done N". */
function numbers(text: string): { nums: number[]; done: number } {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  const last = lines.pop()!;
  expect(last).toMatch(/^done \d+$/);
  const nums = lines.map((l) => {
    const m = /^line (\d+)$/.exec(l);
    if (!m) throw new Error(`not a whole line: ${JSON.stringify(l.slice(0, 80))}`);
    return Number(m[1]);
  });
  return { nums, done: Number(last.slice(5)) };
}

beforeAll(() => {
  if (!existsSync(join(TOP, 'dist/src/cli/wasmvisor.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  store = mkdtempSync(join(tmpdir(), 'wv-detached-log-'));
  containers = join(store, 'containers');
});

afterAll(() => {
  killLeftovers(containers);
  rmSync(store, { recursive: true, force: true });
});

describe('the log of a detached container is capped', () => {
  it('--log-opt max-size=1m: ctr.log and ctr.log.1 never pass 1 MiB; logs shows the newest output whole; logs -f follows across rotations', async () => {
    let written = 0;
    const { id, maxLive, maxOld, samples, followed } = await flood(3000, ['--log-opt', 'max-size=1m'], {}, (id) => wvAsync(['logs', '-f', id]));
    expect(samples).toBeGreaterThan(100); // the sizes were looked at all along
    expect(maxLive).toBeLessThanOrEqual(MiB);
    expect(maxOld).toBeLessThanOrEqual(MiB);
    expect(maxOld).toBeGreaterThan(0); // it did rotate

    const logs = wv(['logs', id]);
    expect(logs.code, logs.stderr).toBe(0);
    const { nums, done } = numbers(logs.stdout);
    written = done * (7 + 38); // each line is at least "line N\n", in a record with its time and stream (38 bytes)
    console.log(`flood: ${done} lines (over ${Math.round(written / MiB)} MiB), ${samples} samples, largest ctr.log ${maxLive}, ctr.log.1 ${maxOld}`);
    expect(written).toBeGreaterThan(8 * MiB); // the guest wrote far more than the cap
    const log = join(containers, id, 'ctr.log');
    // both files, the rotated one first, as the guest wrote them: the records' time and stream taken off
    const records = readFileSync(`${log}.1`, 'utf8') + readFileSync(log, 'utf8');
    expect(records).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F line \d+\n/);
    // (a part of a line the guest's 64 KiB writes cut is a P record, joined to the rest of its line)
    expect(logs.stdout).toBe(records.replace(/^\S+ stdout ([FP]) ([^\n]*)\n/gm, (_, tag: string, text: string) => (tag === 'F' ? `${text}\n` : text)));
    expect(logs.stdout.length).toBeLessThanOrEqual(2 * MiB);
    // the newest lines, contiguous across ctr.log.1 → ctr.log, up to the last one
    expect(nums[nums.length - 1]).toBe(done - 1);
    expect(nums.findIndex((n, i) => i > 0 && n !== nums[i - 1]! + 1)).toBe(-1);

    // -f started with the container and ended with it: from lines no longer on disk to "done", in order, no repeats
    expect(followed!.code, followed!.stderr).toBe(0);
    const f = numbers(followed!.stdout);
    expect(f.done).toBe(done);
    expect(f.nums[f.nums.length - 1]).toBe(done - 1);
    expect(f.nums[0]).toBeLessThan(nums[0]!); // it read lines that were rotated away later: it followed across rotations
    expect(f.nums.findIndex((n, i) => i > 0 && n <= f.nums[i - 1]!)).toBe(-1);
    expect(wv(['rm', id]).code).toBe(0);
    expect(existsSync(join(containers, id))).toBe(false); // rm takes ctr.log.1 too
  }, 90_000);

  it('without --log-opt the default cap applies (lowered by the tests\' variable, same code path)', async () => {
    const { id, maxLive, maxOld } = await flood(2000, [], { WASMVISOR_TEST_LOG_MAX_SIZE: '256k' });
    expect(maxLive).toBeLessThanOrEqual(256 * 1024);
    expect(maxOld).toBeLessThanOrEqual(256 * 1024);
    expect(maxOld).toBeGreaterThan(0);
    const { nums, done } = numbers(wv(['logs', id]).stdout);
    expect(nums[nums.length - 1]).toBe(done - 1);
    expect(wv(['rm', id]).code).toBe(0);
  }, 90_000);

  it('an unknown --log-opt key, path=, or a bad size: one line, exit 125, nothing started', () => {
    const before = wv(['ps', '-a', '-q']).stdout;
    for (const [opt, msg] of [
      ['tag=x', /^wasmvisor: unknown --log-opt "tag": the only option is max-size=SIZE/],
      ['path=/tmp/x.log', /^wasmvisor: --log-opt path is not supported/],
      ['max-size=lots', /^wasmvisor: invalid --log-opt max-size=lots: give a size/],
      ['max-size=-1', /^wasmvisor: invalid --log-opt max-size=-1: the log of a detached container is always capped/],
    ] as const) {
      const r = wv(['run', '-d', '--log-opt', opt, FLOOD, '10']);
      expect(r.code, opt).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(wv(['ps', '-a', '-q']).stdout).toBe(before);
  });
});
