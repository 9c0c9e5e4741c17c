#!/usr/bin/env node
/**
 * Builds every `wasm/*.c` into the committed `wasm/*.wasm` next to it with
 * Debian's clang for wasm32-wasi (see NOTES.md, "Building WASI programs").
 *
 *   node wasm/build.mjs            rebuild every program in place
 *   node wasm/build.mjs NAME...    rebuild only these (file names without .c)
 *   node wasm/build.mjs --check    rebuild into a temp dir; fail if a committed
 *                                  .wasm differs from its source, is missing,
 *                                  or has no source
 *
 * A source may ask for extra flags on a line of its own:
 *   // build: -D_WASI_EMULATED_SIGNAL -lwasi-emulated-signal
 *
 * Builds are deterministic: no debug info, names stripped, the source
 * directory mapped to `.`, one fixed list of flags. The same clang gives the
 * same bytes from any checkout path.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WASM_DIR = dirname(fileURLToPath(import.meta.url));
const CLANG = process.env.CLANG ?? 'clang';

/** Flags every program is built with. */
const BASE_FLAGS = [
  '--target=wasm32-wasi',
  '-O2',
  '-Wall',
  '-Wno-unused-function',
  '-I', 'include',
  `-ffile-prefix-map=${WASM_DIR}=.`,
  '-Wl,--strip-all',
];

/** Extra flags a source asks for with `// build: ...` lines. */
function extraFlags(source) {
  const flags = [];
  for (const m of readFileSync(join(WASM_DIR, source), 'utf8').matchAll(/^\/\/ build:(.*)$/gm)) {
    flags.push(...m[1].trim().split(/\s+/).filter(Boolean));
  }
  return flags;
}

/** Every program source, sorted. */
function sources() {
  return readdirSync(WASM_DIR).filter((f) => f.endsWith('.c')).sort();
}

/** Compile `source` (a file name in wasm/) into `outPath`. */
function compile(source, outPath) {
  const args = [...BASE_FLAGS, source, ...extraFlags(source), '-o', outPath];
  execFileSync(CLANG, args, { cwd: WASM_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
}

function main(argv) {
  const check = argv.includes('--check');
  const names = argv.filter((a) => !a.startsWith('--'));
  let list = sources();
  if (names.length > 0) {
    const wanted = new Set(names.map((n) => n.replace(/\.c$/, '')));
    list = list.filter((f) => wanted.delete(basename(f, '.c')));
    if (wanted.size > 0) throw new Error(`no such program(s) in wasm/: ${[...wanted].join(', ')}`);
  }

  if (!check) {
    for (const src of list) {
      compile(src, join(WASM_DIR, basename(src, '.c') + '.wasm'));
      process.stdout.write(`built wasm/${basename(src, '.c')}.wasm\n`);
    }
    return 0;
  }

  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-wasm-check-'));
  const problems = [];
  try {
    for (const src of list) {
      const name = basename(src, '.c') + '.wasm';
      const fresh = join(tmp, name);
      compile(src, fresh);
      const committed = join(WASM_DIR, name);
      if (!existsSync(committed)) {
        problems.push(`wasm/${name} is missing: run npm run build:wasm and commit it`);
      } else if (!readFileSync(committed).equals(readFileSync(fresh))) {
        problems.push(`wasm/${name} differs from what wasm/${src} builds to: run npm run build:wasm and commit it`);
      }
    }
    if (names.length === 0) {
      const built = new Set(list.map((s) => basename(s, '.c') + '.wasm'));
      for (const f of readdirSync(WASM_DIR).filter((f) => f.endsWith('.wasm'))) {
        if (!built.has(f)) problems.push(`wasm/${f} has no source wasm/${basename(f, '.wasm')}.c: remove it`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length === 0) process.stdout.write(`wasm/: ${list.length} program(s) match their sources\n`);
  return problems.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`build.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
