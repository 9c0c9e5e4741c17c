/**
 * bench/lib/wasi_hosts: run one WASI preview1 command module on a named
 * host, the same way for every benchmark:
 *
 * - `wasmvisor`: the inline platform through `runWasm` from dist/ (a fresh
 *   container: tmpfs root, its own /tmp, /dev as the kernel provides it).
 * - `node:wasi`: Node's built-in WASI (version 'preview1') with `/tmp`
 *   preopened on a host directory and `/dev` on the host's /dev.
 * - `browser_wasi_shim`: @bjorn3/browser_wasi_shim with everything in
 *   memory, as a browser would: an empty in-memory `/tmp` (optionally
 *   prefilled) and a `/dev` holding only `null`, an Fd written by this
 *   harness that discards writes (the shim has no /dev/null of its own).
 *
 * Every host gets the same argv and an empty environment. The guest's
 * stdout is returned as text (captured in memory); stderr is discarded or
 * passed through.
 */
import { openSync, closeSync, readFileSync } from 'node:fs';
import { importDist } from './dist.mjs';

/** The host names, in display order. */
export const HOSTS = ['wasmvisor', 'node:wasi', 'browser_wasi_shim'];

/**
 * Run `module` (a compiled WebAssembly.Module) on `host`.
 * Options:
 * - `args`: argv after argv[0];
 * - `tmpDir`: the host directory node:wasi preopens as /tmp (required for it);
 * - `prefill`: `[{ name, size }]` files of `size` zero bytes created in the
 *   in-memory /tmp before start (browser_wasi_shim only: the other hosts
 *   have no in-memory filesystem reachable from outside);
 * - `stderr`: 'discard' (default) or 'inherit'.
 * Resolves `{ exitCode, stdout }`.
 */
export async function runOnHost(host, module, { args = [], tmpDir, prefill = [], stderr = 'discard' } = {}) {
  const argv = ['bench.wasm', ...args];
  if (host === 'wasmvisor') return runWasmvisor(module, argv, stderr);
  if (host === 'node:wasi') return runNodeWasi(module, argv, tmpDir, stderr);
  if (host === 'browser_wasi_shim') return runShim(module, argv, prefill, stderr);
  throw new Error(`unknown host ${host}: expected one of ${HOSTS.join(', ')}`);
}

async function runWasmvisor(module, argv, stderr) {
  const { runWasm } = await importDist('src/runtime/run_wasm.js');
  const r = await runWasm({
    module,
    argv0: argv[0],
    args: argv.slice(1),
    stdin: 'null',
    stdout: 'capture',
    stderr: stderr === 'inherit' ? 'inherit' : 'null',
  });
  return { exitCode: r.exitCode, stdout: r.stdout ?? '' };
}

/** node:wasi writes the guest's stdout to a host fd: use a temp file, read it back. */
async function runNodeWasi(module, argv, tmpDir, stderr) {
  if (!tmpDir) throw new Error('node:wasi needs tmpDir (the host directory preopened as /tmp)');
  const outPath = `${tmpDir}.stdout`;
  const outFd = openSync(outPath, 'w+');
  const errFd = stderr === 'inherit' ? 2 : openSync('/dev/null', 'w');
  const inFd = openSync('/dev/null', 'r');
  try {
    // Imported here: merely loading node:wasi prints an ExperimentalWarning.
    const { WASI: NodeWasi } = await import('node:wasi');
    const wasi = new NodeWasi({
      version: 'preview1',
      args: argv,
      env: {},
      preopens: { '/tmp': tmpDir, '/dev': '/dev' },
      stdin: inFd,
      stdout: outFd,
      stderr: errFd,
      returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const exitCode = wasi.start(instance);
    return { exitCode, stdout: readFileSync(outPath, 'utf8') };
  } finally {
    closeSync(outFd);
    closeSync(inFd);
    if (errFd !== 2) closeSync(errFd);
  }
}

async function runShim(module, argv, prefill, stderr) {
  const shim = await import('@bjorn3/browser_wasi_shim');
  const { WASI, Fd, Inode, File, PreopenDirectory, OpenFile, wasi: defs } = shim;

  /** An fd that accepts and drops every write: the harness's /dev/null. */
  class DiscardFd extends Fd {
    fd_write(data) {
      return { ret: 0, nwritten: data.byteLength };
    }
    fd_fdstat_get() {
      return { ret: 0, fdstat: new defs.Fdstat(defs.FILETYPE_CHARACTER_DEVICE, 0) };
    }
  }
  /** The directory entry `null` in /dev: opening it gives a DiscardFd. */
  class DevNull extends Inode {
    path_open() {
      return { ret: 0, fd_obj: new DiscardFd() };
    }
    stat() {
      return new defs.Filestat(this.ino, defs.FILETYPE_CHARACTER_DEVICE, 0n);
    }
  }
  /** Collects the guest's output. */
  class Collect extends Fd {
    chunks = [];
    fd_write(data) {
      this.chunks.push(data);
      return { ret: 0, nwritten: data.byteLength };
    }
    fd_fdstat_get() {
      return { ret: 0, fdstat: new defs.Fdstat(defs.FILETYPE_CHARACTER_DEVICE, 0) };
    }
  }

  const out = new Collect();
  const err = stderr === 'inherit'
    ? new (class extends Collect { fd_write(d) { process.stderr.write(d); return { ret: 0, nwritten: d.byteLength }; } })()
    : new DiscardFd();
  const tmp = new Map(prefill.map(({ name, size }) => [name, new File(new ArrayBuffer(size))]));
  const fds = [
    new OpenFile(new File(new ArrayBuffer(0))),
    out,
    err,
    new PreopenDirectory('/tmp', tmp),
    new PreopenDirectory('/dev', new Map([['null', new DevNull()]])),
  ];
  const wasi = new WASI(argv, [], fds);
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const exitCode = wasi.start(instance);
  return { exitCode, stdout: Buffer.concat(out.chunks).toString('utf8') };
}
