#!/usr/bin/env node
/**
 * Builds every `bench/wasm/*.c` into the committed `bench/wasm/*.wasm` next
 * to it, with the same clang and flags as wasm/build.mjs
 * (`clang --target=wasm32-wasi -O2 -Wl,--strip-all`, see NOTES.md).
 *
 *   node bench/wasm/build.mjs           rebuild every program in place
 *   node bench/wasm/build.mjs NAME...   rebuild only these (names without .c)
 *   node bench/wasm/build.mjs --check   rebuild into a temp dir; fail if a
 *                                       committed .wasm differs from its
 *                                       source, is missing, or has no source
 *
 * Builds are deterministic (no debug info, names stripped, the source
 * directory mapped to `.`), so the committed bytes can be checked in CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const CLANG = process.env.CLANG ?? 'clang';

/** The flags of wasm/build.mjs; bench.h sits next to the sources. */
const FLAGS = [
  '--target=wasm32-wasi',
  '-O2',
  '-Wall',
  '-Wno-unused-function',
  `-ffile-prefix-map=${DIR}=.`,
  '-Wl,--strip-all',
];

function compile(source, out) {
  execFileSync(CLANG, [...FLAGS, source, '-o', out], { cwd: DIR, stdio: ['ignore', 'inherit', 'inherit'] });
}

function main(argv) {
  const check = argv.includes('--check');
  const names = argv.filter((a) => !a.startsWith('--'));
  let list = readdirSync(DIR).filter((f) => f.endsWith('.c')).sort();
  if (names.length > 0) {
    const wanted = new Set(names.map((n) => n.replace(/\.c$/, '')));
    list = list.filter((f) => wanted.delete(basename(f, '.c')));
    if (wanted.size > 0) throw new Error(`no such program(s) in bench/wasm/: ${[...wanted].join(', ')}`);
  }
  if (!check) {
    for (const src of list) {
      compile(src, join(DIR, `${basename(src, '.c')}.wasm`));
      process.stdout.write(`built bench/wasm/${basename(src, '.c')}.wasm\n`);
    }
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-bench-wasm-'));
  const problems = [];
  try {
    for (const src of list) {
      const name = `${basename(src, '.c')}.wasm`;
      compile(src, join(tmp, name));
      const committed = join(DIR, name);
      if (!existsSync(committed)) problems.push(`bench/wasm/${name} is missing: run npm run build:bench-wasm and commit it`);
      else if (!readFileSync(committed).equals(readFileSync(join(tmp, name)))) {
        problems.push(`bench/wasm/${name} differs from what bench/wasm/${src} builds to: run npm run build:bench-wasm and commit it`);
      }
    }
    if (names.length === 0) {
      const built = new Set(list.map((s) => `${basename(s, '.c')}.wasm`));
      for (const f of readdirSync(DIR).filter((f) => f.endsWith('.wasm'))) {
        if (!built.has(f)) problems.push(`bench/wasm/${f} has no source: remove it`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length === 0) process.stdout.write(`bench/wasm/: ${list.length} program(s) match their sources\n`);
  return problems.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench/wasm/build.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
