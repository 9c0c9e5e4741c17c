/**
 * A real program: Yosys, from the npm package @yowasp/yosys. Its
 * `gen/yosys.core.wasm` is a plain WASI preview1 command; the package's own
 * API runs it as a component through its own WASI shim. We run the same
 * core module under `wasmvisor run`, with the package's `/share` data files
 * written to a host directory and bound read-only, and synthesise a 4-bit
 * counter with `synth` (ABC included: Yosys moves stdout with
 * `fd_renumber(1, 7)` and closes fds 1 and 2 around it). The cell
 * statistics must be the ones the package's own `runYosys` prints.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt, spawnCollect, WASMVISOR_BIN } from '../support/wasm_cases.js';

const PKG = join(REPO, 'node_modules/@yowasp/yosys');
const CORE = join(PKG, 'gen/yosys.core.wasm');

const COUNTER_V = `module counter(input clk, input rst, input en, output reg [3:0] q);
  always @(posedge clk)
    if (rst) q <= 4'd0;
    else if (en) q <= q + 4'd1;
endmodule
`;

/** The package's resource tree: directories are objects; files are text, bytes or a file URL. */
type Tree = { [name: string]: Tree | string | Uint8Array | URL };

/** Write the package's packed `/share` tree into `dir`. Returns the number of files. */
function writeTree(tree: Tree, dir: string): number {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const [name, v] of Object.entries(tree)) {
    const p = join(dir, name);
    if (typeof v === 'string' || v instanceof Uint8Array) {
      writeFileSync(p, v);
      n++;
    } else if (v instanceof URL) {
      copyFileSync(fileURLToPath(v), p);
      n++;
    } else {
      n += writeTree(v, p);
    }
  }
  return n;
}

/** The block `stat` prints: from `=== counter ===` to the end of the cell list. */
function statBlock(log: string): string[] {
  const lines = log.split('\n');
  const start = lines.lastIndexOf('=== counter ===');
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (out.length > 0 && l.trim() === '') break;
    if (l.trim() !== '') out.push(l.trimEnd());
  }
  return out;
}

/** `Number of cells` and the count per cell type, from a stat block. */
function cells(block: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  let inCells = false;
  for (const l of block) {
    const total = /^\s*Number of cells:\s+(\d+)$/.exec(l);
    if (total) {
      out.total = Number(total[1]);
      inCells = true;
      continue;
    }
    const m = /^\s+(\$\S+)\s+(\d+)$/.exec(l);
    if (inCells && m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const SCRIPT = 'read_verilog {DIR}counter.v; synth -top counter; stat; tee -q -o {DIR}stat.txt stat';

describe('yosys from @yowasp/yosys', () => {
  let dir: string;
  let share: string;
  let work: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'wv-yosys-'));
    share = join(dir, 'share');
    work = join(dir, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'counter.v'), COUNTER_V);
    const resources = (await import(join(PKG, 'gen/resources-yosys.js'))) as { filesystem: { share: Tree } };
    const n = writeTree(resources.filesystem.share, share);
    expect(n).toBeGreaterThan(100);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('synth with ABC under wasmvisor run prints the same cell statistics as the package API', async () => {
    const ours = await spawnCollect(process.execPath, [
      WASMVISOR_BIN, 'run', '-v', `${share}:/share:ro`, '-v', `${work}:/work`, CORE,
      '-p', SCRIPT.replaceAll('{DIR}', '/work/'),
    ], '', 170_000);
    expect(ours.timedOut, 'wasmvisor run timed out').toBe(false);
    expect(ours.exitCode, ours.stdout.slice(-2000) + ours.stderr).toBe(0);
    expect(ours.stdout, 'ABC ran').toContain('Executing ABC pass');
    expect(ours.stdout, 'ABC mapped the design').toMatch(/ABC: \+ map/);
    expect(ours.stdout, 'stdout survives ABC closing and renumbering fds 1 and 2').toContain('End of script.');

    const { runYosys } = (await import('@yowasp/yosys')) as {
      runYosys: (args: string[], files: Record<string, string>, opts: object) => Promise<Record<string, unknown>>;
    };
    let theirLog = '';
    const decoder = new TextDecoder();
    const collect = (b: Uint8Array | null) => { if (b) theirLog += decoder.decode(b, { stream: true }); };
    const theirFiles = await runYosys(['-p', SCRIPT.replaceAll('{DIR}', '')], { 'counter.v': COUNTER_V },
      { stdout: collect, stderr: collect, decodeASCII: true });

    const ourBlock = statBlock(ours.stdout);
    const theirBlock = statBlock(theirLog);
    expect(ourBlock.length, `a stat block in our stdout:\n${ours.stdout.slice(-3000)}`).toBeGreaterThan(5);
    expect(ourBlock).toEqual(theirBlock);

    const ourCells = cells(ourBlock);
    expect(ourCells.total, 'the counter maps to some cells').toBeGreaterThan(4);
    expect(Object.values(ourCells).reduce((a, b) => a + b, 0) - ourCells.total!, 'cell types add up').toBe(ourCells.total);
    expect(Object.keys(ourCells).some((k) => k.includes('DFF')), 'flip-flops for the 4 bits').toBe(true);
    expect(ourCells).toEqual(cells(theirBlock));

    const ourStatFile = readFileSync(join(work, 'stat.txt'), 'utf8');
    expect(ourStatFile, 'tee -o wrote through the bind mount').toContain('Number of cells');
    expect(ourStatFile).toBe(theirFiles['stat.txt']);
  }, 240_000);
});
