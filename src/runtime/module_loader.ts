/**
 * The one module loader of every platform: read a module (a path on Node,
 * bytes, or an already compiled module), check it is WebAssembly
 * (`isWasm`), cap its linear memory at the container's memory limit
 * (`limitModuleMemory`) and compile it. The inline `runWasm`, the library
 * `Runtime` (sentry platform, which caches the result) and the CLI use it,
 * so a missing or non-wasm file fails the same way everywhere; each caller
 * turns a `ModuleLoadError` into its own error (podman's 125/126/127).
 *
 * Metered modules can also come from a store set once per process
 * (`setMeteredStore`; the CLI's on-disk cache is src/runtime/metered_cache.ts):
 * a fresh process then reads the rewritten module instead of rewriting it.
 *
 * Isomorphic: `node:fs` is imported only when a path is given.
 */
import { MeterError, meterModule, METER_VERSION } from '../../kernel/meter/index.js';
import { isMetered } from '../../kernel/platform/meter.js';
import { isWasm } from '../../kernel/platform/wasm_magic.js';
import { limitModuleMemory, ModuleLimitError } from './module_limits.js';

/** A module given as bytes, a compiled module, or (Node) a file path. */
export type ModuleSource = Uint8Array | WebAssembly.Module | string;

/**
 * Why a module could not be loaded. NOT_FOUND → 127, NOT_WASM and
 * CANNOT_RUN → 126, BAD_OPTION → 125 (a memory limit below what the module
 * needs at start is one: the limit is what the user can change).
 */
export class ModuleLoadError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'NOT_WASM' | 'CANNOT_RUN' | 'BAD_OPTION', message: string) {
    super(message);
    this.name = 'ModuleLoadError';
  }
}

/** Read the module at `path` (Node) and check its magic; errors name `path`. */
export async function readModule(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ModuleLoadError('NOT_FOUND', `${path}: no such file`);
    if (code === 'EISDIR') throw new ModuleLoadError('NOT_WASM', `${path}: is a directory, not a WebAssembly module`);
    throw new ModuleLoadError('CANNOT_RUN', `${path}: cannot read: ${(err as Error).message}`);
  }
  if (!isWasm(bytes)) throw new ModuleLoadError('NOT_WASM', `${path}: not a WebAssembly module`);
  return bytes;
}

/**
 * Compiled modules by digest of their bytes, memory cap and metering, per
 * process: a module run again (the same image, a benchmark loop, an exec)
 * is rewritten and compiled once. Bounded: the oldest entry goes first.
 */
const compiled = new Map<string, Promise<WebAssembly.Module>>();
const CACHE_ENTRIES = 32;

/**
 * Where metered modules are kept between processes: `get` returns the bytes
 * stored under `key` only if they are whole (checked), else undefined; `put`
 * never throws (a read-only or full disk only skips the cache).
 */
export interface MeteredStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

let meteredStore: MeteredStore | null = null;
let rewrites = 0;

/** Set (or with null, unset) this process's store of metered modules: the CLI and sandbox processes set one at start. */
export function setMeteredStore(store: MeteredStore | null): void {
  meteredStore = store;
}

/** How many times this process has run the metering rewriter (tests prove a cached module was not rewritten). */
export function meterRewriteCount(): number {
  return rewrites;
}

async function digest(bytes: Uint8Array): Promise<string> {
  // WebCrypto refuses views on a SharedArrayBuffer (layer bytes may live in one): hash a copy.
  const plain = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', plain as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const x of h) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Compile `bytes` with every linear memory's maximum capped at `memoryMax`
 * bytes (null: left as the module says) and, with `meter`, fuel metering
 * (kernel/meter). `name`, if given, prefixes the messages. Cached by digest
 * unless `cache` is false.
 */
export async function compileModule(bytes: Uint8Array, memoryMax: number | null, name?: string, meter = false, cache = true): Promise<WebAssembly.Module> {
  if (!isWasm(bytes)) throw new ModuleLoadError('NOT_WASM', `${name === undefined ? '' : `${name}: `}not a WebAssembly module`);
  // a one-shot process compiles once: hashing (and loading WebCrypto for it, ~5–20 ms) buys nothing there
  const store = meter ? meteredStore : null;
  if (!cache) return store === null ? compileUncached(bytes, memoryMax, name, meter) : compileStored(store, await digest(bytes), bytes, memoryMax, name);
  const sum = await digest(bytes);
  const key = `${sum}:${memoryMax}:${meter ? 'm' : ''}`;
  let p = compiled.get(key);
  if (p === undefined) {
    p = store === null ? compileUncached(bytes, memoryMax, name, meter) : compileStored(store, sum, bytes, memoryMax, name);
    compiled.set(key, p);
    p.catch(() => compiled.delete(key));
    if (compiled.size > CACHE_ENTRIES) compiled.delete(compiled.keys().next().value!);
  }
  return p;
}

/**
 * A metered module through `store`: its bytes are keyed by the input's
 * digest, the rewriter's version and the memory cap (both change the
 * output). Stored bytes that do not compile are rewritten and replaced.
 */
async function compileStored(store: MeteredStore, sum: string, bytes: Uint8Array, memoryMax: number | null, name: string | undefined): Promise<WebAssembly.Module> {
  const key = `${sum}-v${METER_VERSION}-${memoryMax === null ? 'nomax' : memoryMax}`;
  const hit = await store.get(key);
  if (hit !== undefined) {
    try {
      return await WebAssembly.compile(hit as Uint8Array<ArrayBuffer>);
    } catch { /* whole but not valid (a rewriter bug under the same version): rewritten below */ }
  }
  const b = rewrite(bytes, memoryMax, name, true);
  const [module] = await Promise.all([compileBytes(b, name), store.put(key, b)]);
  return module;
}

async function compileUncached(bytes: Uint8Array, memoryMax: number | null, name: string | undefined, meter: boolean): Promise<WebAssembly.Module> {
  return compileBytes(rewrite(bytes, memoryMax, name, meter), name);
}

/** `bytes` with its memory capped at `memoryMax` and, with `meter`, metered. */
function rewrite(bytes: Uint8Array, memoryMax: number | null, name: string | undefined, meter: boolean): Uint8Array {
  const at = name === undefined ? '' : `${name}: `;
  let b = bytes;
  if (memoryMax !== null) {
    try {
      b = limitModuleMemory(bytes, memoryMax);
    } catch (err) {
      if (err instanceof ModuleLimitError && err.code === 'TOO_BIG') throw new ModuleLoadError('BAD_OPTION', `${at}${err.message}`);
      throw new ModuleLoadError('NOT_WASM', `${at}invalid WebAssembly module: ${(err as Error).message}`);
    }
  }
  if (meter) {
    try {
      rewrites++;
      b = meterModule(b);
    } catch (err) {
      if (err instanceof MeterError && err.code !== 'MALFORMED') throw new ModuleLoadError('CANNOT_RUN', `${at}cannot meter its CPU use: ${err.message}`);
      throw new ModuleLoadError('NOT_WASM', `${at}invalid WebAssembly module: ${(err as Error).message}`);
    }
  }
  return b;
}

async function compileBytes(b: Uint8Array, name: string | undefined): Promise<WebAssembly.Module> {
  const at = name === undefined ? '' : `${name}: `;
  try {
    return await WebAssembly.compile(b as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new ModuleLoadError('NOT_WASM', `${at}invalid WebAssembly module: ${(err as Error).message}`);
  }
}

/** Options of `loadModule`. */
export interface LoadModuleOptions {
  /** Name in messages (default: the path; bytes have none, and the caller names them). */
  name?: string;
  /**
   * True when `memoryMax` was asked for explicitly (`-m`, `memory.limit`):
   * a compiled module, whose maximum cannot be rewritten, is then refused
   * (BAD_OPTION). Under the default budget a compiled module keeps its own
   * maximum; the platform's OOM kill still holds.
   */
  explicitLimit?: boolean;
  /**
   * Add fuel metering (kernel/meter) so that a guest that never makes a
   * syscall can still be paused, throttled and stopped. A compiled module
   * cannot be metered: it is then refused when `meter` is 'required' (a cpu
   * limit is set) and run as it is when `meter` is true.
   */
  meter?: boolean | 'required';
  /** false: compile without the per-process cache by digest (a process that runs one module once). Default true. */
  cache?: boolean;
}

/** Read (a path), check, cap at `memoryMax` and compile any module source. */
export async function loadModule(src: ModuleSource, memoryMax: number | null, opts: LoadModuleOptions = {}): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) {
    if (opts.explicitLimit === true && memoryMax !== null) {
      throw new ModuleLoadError('BAD_OPTION', 'a memory limit needs the module as bytes (or a path), not a compiled WebAssembly.Module: the limit is written into the module');
    }
    if (opts.meter === 'required' && !isMetered(src)) {
      throw new ModuleLoadError('BAD_OPTION', 'a cpu limit needs the module as bytes (or a path), not a compiled WebAssembly.Module: metering is written into the module');
    }
    return src;
  }
  const bytes = typeof src === 'string' ? await readModule(src) : src;
  return compileModule(bytes, memoryMax, opts.name ?? (typeof src === 'string' ? src : undefined), opts.meter === true || opts.meter === 'required', opts.cache !== false);
}
