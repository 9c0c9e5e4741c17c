/**
 * A real program: the preview1 command `yosys.core.wasm` of @yowasp/yosys
 * runs `synth` (ABC included) under `wasmvisor run` with its /share files
 * bound in, and prints the same cell statistics as the package's own API.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWasm } from '../../src/runtime/run_wasm.js';

const GEN = join(import.meta.dirname, '../../node_modules/@yowasp/yosys/gen');
const DESIGN = `module counter(input clk, input rst, output reg [7:0] q);
  always @(posedge clk) if (rst) q <= 0; else q <= q + 1;
endmodule
`;
const SCRIPT = 'read_verilog counter.v; synth -top counter; stat';

type Tree = { [k: string]: string | Uint8Array | URL | Tree };

function writeTree(dir: string, tree: Tree): void {
  mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(tree)) {
    const p = join(dir, k);
    if (typeof v === 'string' || v instanceof Uint8Array) writeFileSync(p, v);
    else if (v instanceof URL) writeFileSync(p, readFileSync(fileURLToPath(v)));
    else writeTree(p, v);
  }
}

/** The "Printing statistics" section of a yosys log. */
function stats(log: string): string {
  const start = log.lastIndexOf('Printing statistics.');
  const end = log.indexOf('End of script.', start);
  expect(start, 'no statistics in the log').toBeGreaterThan(0);
  return log.slice(start, end).trim();
}

let root = '';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wv-yosys-'));
  const { filesystem } = await import(pathToFileURL(join(GEN, 'resources-yosys.js')).href);
  writeTree(join(root, 'share'), (filesystem as { share: Tree }).share);
  writeTree(join(root, 'work'), { 'counter.v': DESIGN });
});

describe('yosys under wasmvisor run', () => {
  it('synthesizes with ABC and matches the package API statistics', async () => {
    const r = await runWasm({
      file: join(GEN, 'yosys.core.wasm'),
      argv0: 'yosys',
      args: ['-p', SCRIPT],
      mounts: [{ host: join(root, 'share'), container: '/share', readonly: true }, { host: join(root, 'work'), container: '/work' }],
      workdir: '/work',
      stdout: 'capture',
      stderr: 'capture',
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Executing ABC pass');
    const ours = stats(r.stdout!);
    expect(ours).toMatch(/Number of cells:\s+\d+/);

    const { runYosys } = await import(pathToFileURL(join(GEN, 'bundle.js')).href);
    const lines: string[] = [];
    await runYosys(['-p', SCRIPT], { 'counter.v': DESIGN }, { printLine: (l: string) => lines.push(l) });
    expect(ours).toBe(stats(lines.join('\n')));
  }, 120_000);
});
