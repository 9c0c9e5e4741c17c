#!/usr/bin/env node
/**
 * Builds the conformance probes (`test/conformance/probes/*.c`) into the
 * committed `.wasm` beside each, with Debian's clang for wasm32-wasi.
 *
 *   node test/conformance/probes/build.mjs           rebuild every probe
 *   node test/conformance/probes/build.mjs --check   rebuild into a temp dir; fail if a
 *                                                    committed .wasm differs or is missing
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const CLANG = process.env.CLANG ?? 'clang';
const FLAGS = ['--target=wasm32-wasi', '-O2', '-Wall', '-Wno-unused-function', `-ffile-prefix-map=${DIR}=.`, '-Wl,--strip-all'];

function compile(src, out) {
  execFileSync(CLANG, [...FLAGS, src, '-o', out], { cwd: DIR, stdio: ['ignore', 'inherit', 'inherit'] });
}

const sources = readdirSync(DIR).filter((f) => f.endsWith('.c')).sort();
if (!process.argv.includes('--check')) {
  for (const s of sources) {
    compile(s, join(DIR, basename(s, '.c') + '.wasm'));
    process.stdout.write(`built ${basename(s, '.c')}.wasm\n`);
  }
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-probes-'));
  const problems = [];
  try {
    for (const s of sources) {
      const name = basename(s, '.c') + '.wasm';
      const committed = join(DIR, name);
      compile(s, join(tmp, name));
      if (!existsSync(committed)) problems.push(`${name}: missing (run node test/conformance/probes/build.mjs)`);
      else if (!readFileSync(committed).equals(readFileSync(join(tmp, name)))) problems.push(`${name}: differs from its source (rebuild it)`);
    }
    for (const w of readdirSync(DIR).filter((f) => f.endsWith('.wasm'))) {
      if (!sources.includes(basename(w, '.wasm') + '.c')) problems.push(`${w}: no source`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    process.stderr.write(problems.join('\n') + '\n');
    process.exit(1);
  }
  process.stdout.write(`${sources.length} probes match their sources\n`);
}
