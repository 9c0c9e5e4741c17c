/**
 * One builder for every folder of committed C → wasm32-wasi programs
 * (wasm/, bench/wasm/, test/conformance/probes/): Debian's clang with one
 * fixed list of flags (NOTES.md, "Building WASI programs"), and a `--check`
 * mode that rebuilds into a temp dir and fails if a committed .wasm differs
 * from its source, is missing, or has no source.
 *
 * A source may ask for extra flags on a line of its own:
 *   // build: -D_WASI_EMULATED_SIGNAL -lwasi-emulated-signal
 *
 * Builds are deterministic: no debug info, names stripped, the source
 * directory mapped to `.`. The same clang gives the same bytes from any
 * checkout path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const CLANG = process.env.CLANG ?? 'clang';

/** Flags every program is built with (`dir` is the source folder). */
function baseFlags(dir) {
  const flags = ['--target=wasm32-wasi', '-O2', '-Wall', '-Wno-unused-function'];
  if (existsSync(join(dir, 'include'))) flags.push('-I', 'include');
  flags.push(`-ffile-prefix-map=${dir}=.`, '-Wl,--strip-all');
  return flags;
}

/** Extra flags a source asks for with `// build: ...` lines. */
function extraFlags(dir, source) {
  const flags = [];
  for (const m of readFileSync(join(dir, source), 'utf8').matchAll(/^\/\/ build:(.*)$/gm)) {
    flags.push(...m[1].trim().split(/\s+/).filter(Boolean));
  }
  return flags;
}

function compile(dir, source, outPath) {
  const args = [...baseFlags(dir), source, ...extraFlags(dir, source), '-o', outPath];
  execFileSync(CLANG, args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * Build (or with `--check` in `argv`, verify) the programs of `dir`.
 * `label` names the folder in messages ("wasm/"), `rebuild` the command
 * that rebuilds it. Names in `argv` limit the build to those programs.
 * Returns the process exit code.
 */
export function buildPrograms({ dir, label, rebuild, argv }) {
  const check = argv.includes('--check');
  const names = argv.filter((a) => !a.startsWith('--'));
  let list = readdirSync(dir).filter((f) => f.endsWith('.c')).sort();
  if (names.length > 0) {
    const wanted = new Set(names.map((n) => n.replace(/\.c$/, '')));
    list = list.filter((f) => wanted.delete(basename(f, '.c')));
    if (wanted.size > 0) throw new Error(`no such program(s) in ${label}: ${[...wanted].join(', ')}`);
  }
  if (!check) {
    for (const src of list) {
      compile(dir, src, join(dir, `${basename(src, '.c')}.wasm`));
      process.stdout.write(`built ${label}${basename(src, '.c')}.wasm\n`);
    }
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-wasm-check-'));
  const problems = [];
  try {
    for (const src of list) {
      const name = `${basename(src, '.c')}.wasm`;
      compile(dir, src, join(tmp, name));
      const committed = join(dir, name);
      if (!existsSync(committed)) problems.push(`${label}${name} is missing: run ${rebuild} and commit it`);
      else if (!readFileSync(committed).equals(readFileSync(join(tmp, name)))) {
        problems.push(`${label}${name} differs from what ${label}${src} builds to: run ${rebuild} and commit it`);
      }
    }
    if (names.length === 0) {
      const built = new Set(list.map((s) => `${basename(s, '.c')}.wasm`));
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) {
        if (!built.has(f)) problems.push(`${label}${f} has no source ${label}${basename(f, '.wasm')}.c: remove it`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length === 0) process.stdout.write(`${label}: ${list.length} program(s) match their sources\n`);
  return problems.length === 0 ? 0 : 1;
}

/** Run `buildPrograms` as a command-line entry point. */
export function runBuildCli(opts) {
  try {
    process.exitCode = buildPrograms({ ...opts, argv: process.argv.slice(2) });
  } catch (err) {
    process.stderr.write(`${opts.label}build.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
