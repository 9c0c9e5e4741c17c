/**
 * Test harness for syscalls through the real ABI: a FakeHost, a kernel, a
 * tmpfs root preopened on fd 3, stdio on captured consoles and a stdin pipe,
 * and a module that imports every preview1 function and re-exports it, so a
 * test calls `sys.fd_write(1, iovs, 1, ret)` across the wasm boundary with
 * any (hostile) argument.
 */
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { Kernel } from '../../../kernel/kernel.js';
import { GuestMemory } from '../../../kernel/abi/memory.js';
import { WASI_MODULE, WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { buildImports } from '../../../kernel/platform/imports.js';
import { invokeInline } from '../../../kernel/platform/inline.js';
import { newOutcome } from '../../../kernel/syscalls/dispatch.js';
import { ConsoleFile, type ConsoleSink } from '../../../kernel/task/console.js';
import { Pipe } from '../../../kernel/task/pipe.js';
import { installPreopen, installStdio } from '../../../kernel/task/stdio.js';
import type { Task } from '../../../kernel/task/task.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { sentryLoopback } from '../../support/sentry_loopback.js';
import { installSentryFastPaths } from '../../../kernel/platform/sentry_fast.js';
import { buildModule } from '../../support/wasm_builder.js';

/**
 * The platform the calls go through: `inline` (the default) or `sentry`
 * (WASMVISOR_PLATFORM=sentry, the vitest project `sentry`): each call
 * crosses a SAB channel and the codec to SentryTasks, on this thread.
 */
export const PLATFORM: 'inline' | 'sentry' = process.env.WASMVISOR_PLATFORM === 'sentry' ? 'sentry' : 'inline';

/** A console sink that keeps text. */
export class TextSink implements ConsoleSink {
  isTty = false;
  text = '';
  write(data: Uint8Array): void {
    this.text += new TextDecoder().decode(data);
  }
}

/** Everything a syscall test needs. */
export interface Env {
  host: FakeHost;
  kernel: Kernel;
  ns: MountNamespace;
  task: Task;
  stdin: Pipe;
  stdout: TextSink;
  stderr: TextSink;
  /** The re-exported imports: call them like the guest would. */
  sys: Record<string, (...args: (number | bigint)[]) => number>;
  mem: GuestMemory;
  memory: WebAssembly.Memory;
  /** Raw bytes of memory (re-taken after growth). */
  u8(): Uint8Array;
  dv(): DataView;
  /** Put a string at `ptr` (no NUL); returns its byte length. */
  put(ptr: number, s: string | Uint8Array): number;
  /** Read `len` bytes at `ptr` as text. */
  get(ptr: number, len: number): string;
  /** Write iovecs [{ptr,len}] at `at`. */
  iovs(at: number, list: [number, number][]): void;
  u32(ptr: number): number;
  u64(ptr: number): bigint;
  strace: string[];
}

const MODULE = new WebAssembly.Module(buildModule({ imports: [...WASI_PREVIEW1_IMPORTS], memoryPages: 1 }) as Uint8Array<ArrayBuffer>);

/** Build a fresh environment. */
export function makeEnv(opts: {
  args?: string[]; env?: string[]; stdin?: string; trace?: boolean; tmpfsLimit?: number; fdLimit?: number;
  /** The platform (default: PLATFORM, from the vitest project). */
  platform?: 'inline' | 'sentry';
  /** Sentry only: install the app side's fd_read/fd_write fast paths (default true, as in an app worker). */
  sentryFastPaths?: boolean;
  /** Sentry only: the outside world acting while a call is parked (a reader draining a pipe), tried before stdin's pump; true if it did something. */
  onStuck?: () => boolean;
} = {}): Env {
  const host = new FakeHost();
  const kernel = new Kernel(host);
  const ns = new MountNamespace(new TmpFs(host, { limit: opts.tmpfsLimit }));
  const task = kernel.createTask({ pathOps: ns.pathOps }, { args: opts.args ?? ['prog'], env: opts.env ?? [], fdLimit: opts.fdLimit });
  const stdin = new Pipe();
  stdin.openHostWriter();
  if (opts.stdin !== undefined) {
    stdin.hostWrite(new TextEncoder().encode(opts.stdin));
    stdin.hostClose();
  }
  const stdout = new TextSink();
  const stderr = new TextSink();
  installStdio(task, { file: stdin.readEnd() }, { file: new ConsoleFile(stdout, 'stdout') }, { file: new ConsoleFile(stderr, 'stderr') });
  const root = ns.pathOps.open({ uid: 0, gid: 0 }, ns.rootHandle(), '.', {
    oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false },
  });
  installPreopen(task, root, '/');
  const out = newOutcome();
  const strace: string[] = [];
  let guestMem: GuestMemory | null = null;
  const loop: ReturnType<typeof sentryLoopback> | null = (opts.platform ?? PLATFORM) === 'sentry'
    ? sentryLoopback(kernel, task, () => guestMem?.size ?? 0, {
      // a test's pump plays the outside world (the host feeding stdin, a SIGCONT)
      onStuck: () => opts.onStuck?.() === true || [stdin.readQueue, task.contQueue].filter((q) => q.syncPump?.(null)).length > 0,
    })
    : null;
  const ctx = {
    memory: null as GuestMemory | null,
    host,
    pid: task.pid,
    strace: opts.trace ? (l: string) => { strace.push(l); } : null,
    invoke: loop ? loop.invoke : (entry: any, args: unknown) => invokeInline(kernel.dispatcher, task, entry, args, out),
  };
  const imports = buildImports(ctx);
  // the sentry platform's app side takes fd_read and fd_write straight to the channel, as in an app worker
  if (loop && opts.sentryFastPaths !== false) installSentryFastPaths(imports[WASI_MODULE] as Record<string, (...raw: (number | bigint)[]) => number | void>, ctx, loop.fixed, () => {});
  const inst = new WebAssembly.Instance(MODULE, imports);
  const memory = inst.exports.memory as WebAssembly.Memory;
  const mem = new GuestMemory(memory);
  ctx.memory = mem;
  guestMem = mem;
  const sys = inst.exports as unknown as Env['sys'];
  const u8 = () => new Uint8Array(memory.buffer);
  const dv = () => new DataView(memory.buffer);
  return {
    host, kernel, ns, task, stdin, stdout, stderr, sys, mem, memory, u8, dv, strace,
    put(ptr, s) {
      const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
      u8().set(b, ptr);
      return b.byteLength;
    },
    get(ptr, len) {
      return new TextDecoder().decode(u8().subarray(ptr, ptr + len));
    },
    iovs(at, list) {
      list.forEach(([p, l], i) => {
        dv().setUint32(at + i * 8, p, true);
        dv().setUint32(at + i * 8 + 4, l, true);
      });
    },
    u32: (ptr) => dv().getUint32(ptr, true),
    u64: (ptr) => dv().getBigUint64(ptr, true),
  };
}

/** Every right but FD_WRITE: what opening a directory may ask for. */
export const DIR_REQUEST = ((1n << 30n) - 1n) & ~(1n << 6n);

/** Open `path` under fd 3 through the ABI (by default with every right; `DIR_REQUEST` for directories); returns the fd. */
export function openPath(env: Env, path: string, oflags = 0, fdflags = 0, rights = (1n << 30n) - 1n): number {
  const n = env.put(1000, path);
  const errno = env.sys.path_open(3, 1, 1000, n, oflags, rights, rights, fdflags, 900);
  if (errno !== 0) throw new Error(`path_open(${path}) = ${errno}`);
  return env.u32(900);
}
