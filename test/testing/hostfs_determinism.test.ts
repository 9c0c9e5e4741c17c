/**
 * Bind mounts of host directories in a deterministic run (a virtual clock
 * or a seed: `Host.stableIds`): readdir lists names sorted, and inode
 * numbers come from the path under the mount, not from the host. Two host
 * directories holding the same files, made in different orders (so with
 * different host inode numbers), look the same to the program.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram, type RunProgramOptions } from '../../src/testing/index.js';

const PROBE = join(import.meta.dirname, 'fixtures/det_probe.wasm');
const tmp = mkdtempSync(join(tmpdir(), 'wv-hostfs-det-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A host directory with `names` made in this order, every time stamp fixed. */
function hostDir(name: string, names: string[], pad: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  // files made between them move the host's inode numbers apart
  for (let i = 0; i < pad; i++) writeFileSync(join(tmp, `${name}-pad${i}`), '');
  for (const n of names) writeFileSync(join(dir, n), `/data/${n}`);
  const t = new Date('2020-01-01T00:00:00Z');
  for (const n of names) utimesSync(join(dir, n), t, t);
  utimesSync(dir, t, t);
  return dir;
}

describe('hostfs in a deterministic run', () => {
  const opts = (dir: string): RunProgramOptions => ({
    mounts: [{ host: dir, container: '/data' }],
    clock: { realtime: '2024-01-01T00:00:00Z' }, random: 1,
    // the probe's own writes are refused: it only lists and stats what the host holds
    faults: [{ call: 'path_open', path: '/data/*', errno: 'EROFS' }],
  });

  it('lists names sorted and numbers inodes from their path: two host directories made differently print the same bytes', async () => {
    const a = await runProgram(PROBE, opts(hostDir('a', ['zeta', 'alpha', 'mid'], 0)));
    const b = await runProgram(PROBE, opts(hostDir('b', ['mid', 'zeta', 'alpha'], 7)));
    expect(a.exitCode).toBe(0);
    const listed = a.stdout.split('\n').filter((l) => / ino /.test(l)).map((l) => l.split(' ')[0]);
    expect(listed).toEqual(['.', '..', 'alpha', 'mid', 'zeta']);
    expect(a.stdout).toMatch(/^alpha dev \d+ ino \d+ size 11 mtime 1577836800\.000000000$/m);
    expect(b.stdout).toBe(a.stdout);
    // d_ino from readdir agrees with stat's st_ino
    const rd = a.trace.find((e) => e.call === 'fd_readdir')!.result as { name: string; ino: bigint }[];
    const alphaIno = BigInt(/^alpha dev \d+ ino (\d+)/m.exec(a.stdout)![1]!);
    expect(rd.find((e) => e.name === 'alpha')!.ino).toBe(alphaIno);
  });
});
