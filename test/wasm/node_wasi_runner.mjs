#!/usr/bin/env node
/**
 * Runs one WASI command under Node's own `node:wasi`, in a child process of
 * the test, for the differential tests (a guest that closes fd 1 closes the
 * real stdout under node:wasi, so it must never run inside the test process).
 *
 *   node node_wasi_runner.mjs [--dir HOST:GUEST]... [--env K=V]... -- FILE.wasm [ARG...]
 *
 * stdin, stdout and stderr are the child's own. Exits with the guest's exit
 * code; a trap prints `trap: MESSAGE` on stderr and exits 134.
 */
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length && argv[i] !== '--'; i += 2) {
  const value = argv[i + 1] ?? '';
  if (argv[i] === '--dir') {
    const at = value.lastIndexOf(':');
    preopens[value.slice(at + 1)] = value.slice(0, at);
  } else if (argv[i] === '--env') {
    const eq = value.indexOf('=');
    env[value.slice(0, eq)] = value.slice(eq + 1);
  } else {
    process.stderr.write(`node_wasi_runner: unknown option ${argv[i]}\n`);
    process.exit(125);
  }
}
const [file, ...args] = argv.slice(i + 1);

// Silence the ExperimentalWarning so stderr holds only the guest's output.
process.removeAllListeners('warning');
process.on('warning', () => {});

const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
let code;
try {
  code = wasi.start(instance);
} catch (err) {
  process.stderr.write(`trap: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 134;
}
process.exitCode = code;
