/**
 * Ending badly: proc_exit with odd values, proc_raise of every signal
 * number, traps and stack overflows in the middle of import calls, and
 * kernel bugs (a handler, a syscall filter or a file's release throwing).
 * The task ends with a defined status, a bug becomes EIO plus one log line,
 * and the host carries on.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../kernel/errno.js';
import { Kernel } from '../../kernel/kernel.js';
import { runInline } from '../../kernel/platform/inline.js';
import { ConsoleFile } from '../../kernel/task/console.js';
import { exitCodeOf, TaskExit } from '../../kernel/task/exit.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { installStdio } from '../../kernel/task/stdio.js';
import { StreamFile } from '../../kernel/task/stream_file.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import { FakeHost } from '../support/fake_host.js';
import { buildModule, op, type ModuleSpec } from '../support/wasm_builder.js';
import { makeEnv, TextSink } from '../kernel/syscalls/harness.js';
import type { SyscallFilter } from '../../kernel/syscalls/dispatch.js';

function exitOf(f: () => unknown): TaskExit | 'returned' {
  try {
    f();
    return 'returned';
  } catch (e) {
    if (e instanceof TaskExit) return e;
    throw e;
  }
}

/** Run a module built from `spec` on the inline platform. */
function run(spec: ModuleSpec, filter?: SyscallFilter, extraFd?: StreamFile) {
  const host = new FakeHost();
  const kernel = new Kernel(host);
  if (filter) kernel.dispatcher.filter = filter;
  const ns = new MountNamespace(new TmpFs(host));
  const task = kernel.createTask({ pathOps: ns.pathOps }, { args: ['t'], env: [] });
  const out = new TextSink();
  const stdin = new Pipe();
  installStdio(task, { file: stdin.readEnd() }, { file: new ConsoleFile(out, 'stdout') }, { file: new ConsoleFile(new TextSink(), 'stderr') });
  if (extraFd) task.fds.insert(extraFd, 0, 0);
  const module = new WebAssembly.Module(buildModule(spec) as Uint8Array<ArrayBuffer>);
  const status = runInline(task, module, { dispatcher: kernel.dispatcher });
  return { status, host, out, task };
}

// iovec at 16 → 4 bytes at 32 ("hi!\n"); nwritten at 8
const HI = [{ offset: 16, bytes: [32, 0, 0, 0, 4, 0, 0, 0] }, { offset: 32, bytes: [...new TextEncoder().encode('hi!\n')] }];
const writeHi = [...op.i32(1), ...op.i32(16), ...op.i32(1), ...op.i32(8), ...op.call(0)];

describe('proc_exit and proc_raise with every value', () => {
  it('proc_exit reduces any u32 to 0..255', () => {
    for (const [v, code] of [[0, 0], [1, 1], [255, 255], [256, 0], [257, 1], [-1, 255], [0x8000_0000, 0], [0x7fff_ffff, 255]]) {
      const env = makeEnv();
      const e = exitOf(() => env.sys.proc_exit(v!));
      expect(e, String(v)).toBeInstanceOf(TaskExit);
      expect((e as TaskExit).status, String(v)).toEqual({ code });
    }
  });

  it('proc_raise of 0..64 and beyond: 0 or EINVAL or a signal death, never anything else', () => {
    const seen = new Map<string, number[]>();
    for (let sig = 0; sig <= 300; sig++) {
      const env = makeEnv();
      // as runInline does: on one thread a stopped task continues at once
      env.task.contQueue.syncPump = () => { env.task.state = 'running'; return true; };
      let outcome: string;
      const r = exitOf(() => {
        const errno = env.sys.proc_raise(sig);
        outcome = errno === 0 ? 'ok' : errno === Errno.INVAL ? 'EINVAL' : `errno ${errno}`;
      });
      if (r instanceof TaskExit) {
        expect(r.status.signal, String(sig)).toBe(sig & 0xff);
        expect(exitCodeOf(r.status)).toBeGreaterThan(128);
        expect(exitCodeOf(r.status)).toBeLessThan(128 + 32);
        outcome = 'killed';
      }
      expect(env.host.bugs, String(sig)).toEqual([]);
      seen.set(outcome!, [...(seen.get(outcome!) ?? []), sig]);
    }
    expect([...seen.keys()].sort(), JSON.stringify([...seen])).toEqual(['EINVAL', 'killed', 'ok']);
    // NONE, CHLD, CONT, STOP, TSTP, TTIN, TTOU, URG, WINCH are survivable on one thread
    expect(seen.get('ok')!.filter((s) => s <= 30)).toEqual([0, 16, 17, 18, 19, 20, 21, 22, 27]);
    expect(seen.get('EINVAL')!.filter((s) => s <= 64)).toEqual([...Array(34).keys()].map((i) => i + 31));
  });
});

describe('traps and stack overflows in the middle of calls', () => {
  it('a trap right after a write keeps the output and ends with 134', () => {
    const r = run({ imports: ['fd_write'], data: HI, funcs: [{ name: '_start', body: [...writeHi, ...op.drop, ...op.unreachable] }] });
    expect(r.status.code).toBe(134);
    expect(r.out.text).toBe('hi!\n');
    expect(r.host.bugs).toEqual([]);
    expect(r.task.fds.count).toBe(0);
  });

  it('unbounded recursion through an import ends the task, not the host', () => {
    // f: fd_write(...); f()
    const r = run({
      imports: ['fd_write'],
      data: HI,
      funcs: [{ name: '_start', body: [...op.call(2)] }, { name: 'f', body: [...writeHi, ...op.drop, ...op.call(2)] }],
    });
    expect(r.status.code).toBe(134);
    expect(r.status.reason).toMatch(/trap|stack/i);
    expect(r.out.text.length).toBeGreaterThan(0);
    expect(r.task.exitStatus).not.toBeNull();
  });
});

describe('kernel bugs become EIO', () => {
  it('a syscall filter that throws is a kernel bug: EIO, logged, the guest goes on', () => {
    const r = run(
      { imports: ['fd_write', 'proc_exit'], data: HI, funcs: [{ name: '_start', body: [...writeHi, ...op.call(1)] }] },
      () => { throw new TypeError('filter bug'); },
    );
    // fd_write got EIO (29), which the guest passes to proc_exit; proc_exit fails too but still ends the task
    expect(r.status.code).toBe(29);
    expect(r.status.reason).toMatch(/proc_exit failed with errno 29/);
    expect(r.host.bugs.length).toBe(2); // fd_write and proc_exit both hit the filter
    expect(r.out.text).toBe('');
  });

  it('a file whose release throws at exit: logged, the other fds still closed, the host unaffected', () => {
    class Broken extends StreamFile {
      override release(): void {
        throw new RangeError('release bug');
      }
      describe(): string {
        return 'broken';
      }
    }
    const r = run({ imports: ['proc_exit'], funcs: [{ name: '_start', body: [...op.i32(3), ...op.call(0)] }] }, undefined, new Broken({ read: true, write: false }));
    expect(r.status).toEqual({ code: 3 });
    expect(r.task.fds.count).toBe(0);
    expect(r.host.bugs.map((b) => b.message)).toEqual([`closing fd 3 at exit of pid 1`]);
  });

  it('fd_close of such a file is EIO and the fd is gone', () => {
    const env = makeEnv();
    class Broken extends StreamFile {
      override release(): void {
        throw new Error('release bug');
      }
      describe(): string {
        return 'broken';
      }
    }
    const fd = env.task.fds.insert(new Broken({ read: true, write: false }), 0, 0);
    expect(env.sys.fd_close(fd)).toBe(Errno.IO);
    expect(env.sys.fd_close(fd)).toBe(Errno.BADF);
    expect(env.host.bugs.length).toBe(1);
  });
});
