// The per-call ABI description (kernel/abi/spec.ts) and what is derived from
// it: the imports' signatures (against the witx), the fixed wire layouts
// (derived ones, and the hand-specialised fd_write/fd_read agreeing with
// what the description derives), the fast paths' positions, strace's
// fields; and the one errno mapping point (errnoOf).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODECS, codecOf, signatureOf } from '../../../kernel/abi/derive.js';
import { GuestMemory } from '../../../kernel/abi/memory.js';
import { ABI, outSize, paramIndex, shownFields, wireQuad, wireWord } from '../../../kernel/abi/spec.js';
import { WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { E, Errno } from '../../../kernel/errno.js';
import { createChannelBuffer } from '../../../src/sentry/channel.js';
import { HEADER_BYTES, NOWAIT_WORD } from '../../../kernel/platform/sentry_protocol.js';
import { deriveWire, SENTRY_WIRES, SPECIALISED_WIRES, wireSlots } from '../../../kernel/platform/sentry_wire.js';
import { formatCall } from '../../../kernel/platform/strace.js';
import { errnoOf } from '../../../kernel/syscalls/dispatch.js';
import { SYSCALLS } from '../../../kernel/syscalls/table.js';
import { TaskExit } from '../../../kernel/task/exit.js';

/** The witx signatures (wasi_snapshot_preview1 + sock_accept), as the hand-written codecs had them. */
const WITX: Record<string, string> = {
  args_get: 'ptrs:i32 buf:i32', args_sizes_get: 'count:i32 buf_size:i32',
  environ_get: 'ptrs:i32 buf:i32', environ_sizes_get: 'count:i32 buf_size:i32',
  clock_res_get: 'id:i32 resolution:i32', clock_time_get: 'id:i32 precision:i64 time:i32',
  fd_advise: 'fd:i32 offset:i64 len:i64 advice:i32', fd_allocate: 'fd:i32 offset:i64 len:i64',
  fd_close: 'fd:i32', fd_datasync: 'fd:i32', fd_fdstat_get: 'fd:i32 stat:i32', fd_fdstat_set_flags: 'fd:i32 flags:i32',
  fd_fdstat_set_rights: 'fd:i32 fs_rights_base:i64 fs_rights_inheriting:i64', fd_filestat_get: 'fd:i32 buf:i32',
  fd_filestat_set_size: 'fd:i32 size:i64', fd_filestat_set_times: 'fd:i32 atim:i64 mtim:i64 fst_flags:i32',
  fd_pread: 'fd:i32 iovs:i32 iovs_len:i32 offset:i64 nread:i32', fd_prestat_get: 'fd:i32 buf:i32',
  fd_prestat_dir_name: 'fd:i32 path:i32 path_len:i32', fd_pwrite: 'fd:i32 iovs:i32 iovs_len:i32 offset:i64 nwritten:i32',
  fd_read: 'fd:i32 iovs:i32 iovs_len:i32 nread:i32', fd_readdir: 'fd:i32 buf:i32 buf_len:i32 cookie:i64 bufused:i32',
  fd_renumber: 'fd:i32 to:i32', fd_seek: 'fd:i32 offset:i64 whence:i32 newoffset:i32', fd_sync: 'fd:i32',
  fd_tell: 'fd:i32 offset:i32', fd_write: 'fd:i32 iovs:i32 iovs_len:i32 nwritten:i32',
  path_create_directory: 'fd:i32 path:i32 path_len:i32', path_filestat_get: 'fd:i32 flags:i32 path:i32 path_len:i32 buf:i32',
  path_filestat_set_times: 'fd:i32 flags:i32 path:i32 path_len:i32 atim:i64 mtim:i64 fst_flags:i32',
  path_link: 'old_fd:i32 old_flags:i32 old_path:i32 old_path_len:i32 new_fd:i32 new_path:i32 new_path_len:i32',
  path_open: 'fd:i32 dirflags:i32 path:i32 path_len:i32 oflags:i32 fs_rights_base:i64 fs_rights_inheriting:i64 fdflags:i32 opened_fd:i32',
  path_readlink: 'fd:i32 path:i32 path_len:i32 buf:i32 buf_len:i32 bufused:i32', path_remove_directory: 'fd:i32 path:i32 path_len:i32',
  path_rename: 'fd:i32 old_path:i32 old_path_len:i32 new_fd:i32 new_path:i32 new_path_len:i32',
  path_symlink: 'old_path:i32 old_path_len:i32 fd:i32 new_path:i32 new_path_len:i32', path_unlink_file: 'fd:i32 path:i32 path_len:i32',
  poll_oneoff: 'in:i32 out:i32 nsubscriptions:i32 nevents:i32', proc_exit: 'rval:i32', proc_raise: 'sig:i32', sched_yield: '',
  random_get: 'buf:i32 buf_len:i32', sock_accept: 'fd:i32 flags:i32 result_fd:i32',
  sock_recv: 'fd:i32 ri_data:i32 ri_data_len:i32 ri_flags:i32 ro_datalen:i32 ro_flags:i32',
  sock_send: 'fd:i32 si_data:i32 si_data_len:i32 si_flags:i32 so_datalen:i32', sock_shutdown: 'fd:i32 how:i32',
};

describe('the ABI description', () => {
  it('describes every preview1 import, and each derived signature is the witx one', () => {
    expect(Object.keys(ABI).sort()).toEqual([...WASI_PREVIEW1_IMPORTS].sort());
    for (const name of WASI_PREVIEW1_IMPORTS) {
      expect(signatureOf(ABI[name]).map(([n, t]) => `${n}:${t}`).join(' '), name).toBe(WITX[name]);
      expect(SYSCALLS.find((e) => e.name === name)!.codec, name).toBe(CODECS[name]);
    }
    expect(CODECS.proc_exit.returnsErrno).toBe(false);
  });

  it('every result goes into a parameter of its call, and every field name is unique within a call', () => {
    for (const name of WASI_PREVIEW1_IMPORTS) {
      const spec = ABI[name];
      const fields = spec.params.map((p) => p[2]);
      expect(new Set(fields).size, name).toBe(fields.length);
      for (const [param] of spec.results ?? []) expect(spec.params.some(([n]) => n === param), `${name}.${param}`).toBe(true);
    }
  });

  it('the sentry channel has a fixed layout exactly for the calls whose description names one', () => {
    for (const e of SYSCALLS) expect(SENTRY_WIRES[e.nr] !== undefined, e.name).toBe(ABI[e.name].wire !== undefined);
    // the noWait flag word is the protocol module's
    expect(wireWord('fd_read', 'noWait')).toBe(NOWAIT_WORD);
    expect(wireWord('fd_pread', 'noWait')).toBe(NOWAIT_WORD);
  });

  it('the fast paths\' positions come from the description (fd, iovs, iovs_len, [extra], out)', () => {
    for (const call of ['fd_write', 'fd_read'] as const) {
      expect(paramIndex(call, 'fd')).toBe(0);
      expect(paramIndex(call, 'iovs')).toBe(1);
      expect(CODECS[call].params).toHaveLength(4);
    }
    expect(outSize('fd_write', 'nwritten')).toBe(4);
    expect(paramIndex('fd_pwrite', 'offset')).toBe(3);
    expect(paramIndex('sock_send', 'si_flags')).toBe(3);
    expect(wireQuad('fd_pwrite', 'offset')).toBe(wireQuad('fd_pread', 'offset'));
  });

  it('strace shows the fields the description names, in its order, without private or platform-only ones', () => {
    expect(shownFields('fd_pread')).toEqual(['fd', 'max', 'offset', 'noWait']);
    const line = formatCall(1, 'poll_oneoff', { subs: [], t0: 5n, _out: 8, _ret: 16 }, 0, undefined, 1000n);
    expect(line).toBe('[1] poll_oneoff(subs=[]) = 0 SUCCESS <1.0µs>');
    const open = formatCall(2, 'path_open', { _ret: 4, fdflags: 0, path: 'a', fd: 3, dirflags: 1, oflags: 0, rightsBase: 1n, rightsInheriting: 0n }, 0, 5, 0n);
    expect(open).toBe('[2] path_open(fd=3, dirflags=1, path="a", oflags=0, rightsBase=1, rightsInheriting=0, fdflags=0) = 0 SUCCESS → 5 <0.0µs>');
  });
});

describe('the derived codecs', () => {
  /** Decode `raw` (and encode `result` after a success) with `codec` over a fresh copy of `init`: the outcome and memory. */
  const run = (codec: ReturnType<typeof codecOf>, init: Uint8Array, raw: (number | bigint)[], result: unknown) => {
    const mem = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(mem.buffer).set(init);
    const g = new GuestMemory(mem);
    let out: unknown;
    try {
      const a = codec.decode(g, raw) as Record<string, unknown>;
      out = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]));
      if (codec.encode && result !== undefined) codec.encode(g, a, result);
    } catch (err) {
      out = { errno: (err as { errno?: number }).errno ?? String(err) };
    }
    return { out, mem: new Uint8Array(mem.buffer) };
  };
  const RESULTS: Partial<Record<string, unknown>> = {
    fd_write: 3, fd_read: new Uint8Array(200).fill(7), fd_seek: 5n, path_open: 9, path_readlink: 'a/ü',
    fd_filestat_get: { dev: 1n, ino: 2n, filetype: 4, nlink: 1n, size: 9n, atim: 1n, mtim: 2n, ctim: 3n },
    fd_fdstat_get: { filetype: 4, flags: 1, rightsBase: 3, rightsInheriting: 5 }, fd_prestat_get: '/x',
    sock_recv: { data: new Uint8Array(30).fill(1), roflags: 1 }, args_sizes_get: { count: 2, bytes: 7 },
    fd_readdir: [{ next: 1n, ino: 5n, name: 'aa', filetype: 4 }],
  };

  it('compiled (the default) and composed from closures (hosts without eval) decode and encode alike', () => {
    const init = new Uint8Array(65536);
    for (let i = 0; i < init.length; i++) init[i] = (i * 31) & 0xff;
    const dv = new DataView(init.buffer);
    for (let i = 0; i < 4; i++) { dv.setUint32(1000 + 8 * i, 2000 + 64 * i, true); dv.setUint32(1004 + 8 * i, 10 + i, true); }
    init.set(new TextEncoder().encode('some/path'), 3000);
    const word = fc.oneof(fc.constantFrom(0, 3, 9, 1000, 3000, 4000, 65530, 0xffff_ffff), fc.integer({ min: 0, max: 70000 }));
    for (const name of WASI_PREVIEW1_IMPORTS) {
      const closures = codecOf(name, 'closures');
      const compiled = CODECS[name];
      fc.assert(fc.property(fc.array(word, { minLength: 9, maxLength: 9 }), (ws) => {
        const raw = compiled.params.map(([, t], i) => (t === 'i64' ? BigInt(ws[i]!) : ws[i]!));
        const a = run(compiled, init, raw, RESULTS[name]);
        const b = run(closures, init, raw, RESULTS[name]);
        expect(b.out, name).toEqual(a.out);
        expect(Buffer.compare(a.mem, b.mem), name).toBe(0);
      }), { numRuns: 60 });
    }
  });
});

describe('hand-specialised wire layouts agree with the description', () => {
  const slots = () => wireSlots(createChannelBuffer(256), HEADER_BYTES);
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

  it('every described layout: compiled (the default) and composed from closures put and get alike', () => {
    for (const name of WASI_PREVIEW1_IMPORTS) {
      const spec = ABI[name].wire;
      if (spec === undefined) continue;
      const compiled = deriveWire(spec, 'compiled');
      const closures = deriveWire(spec, 'closures');
      const arb = fc.record(Object.fromEntries([
        ...Object.entries(spec.args).map(([f, slot]) => [f,
          'flag' in slot ? fc.boolean() : 'q' in slot ? fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((x) => x[0]!)
            : 's' in slot ? fc.bigInt64Array({ minLength: 1, maxLength: 1 }).map((x) => x[0]!) : fc.integer({ min: 0, max: 300 })]),
        ...(spec.data === undefined ? [] : [[spec.data[0], spec.data[1] === 'string' ? fc.string({ maxLength: 300 }) : fc.uint8Array({ maxLength: 300 })]]),
      ]));
      fc.assert(fc.property(arb, (a) => {
        for (const [put, get] of [[compiled, closures], [closures, compiled]] as const) {
          const s1 = slots();
          const s2 = slots();
          const n = put.putArgs(s1, a);
          expect(get.putArgs(s2, a), name).toBe(n);
          if (n < 0) continue;
          const g = (x: unknown) => (x instanceof Uint8Array ? [...x] : x);
          const got = get.getArgs(s1, n) as Record<string, unknown>;
          const want = put.getArgs(s1, n) as Record<string, unknown>;
          expect(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, g(v)])), name).toEqual(Object.fromEntries(Object.entries(want).map(([k, v]) => [k, g(v)])));
        }
      }), { numRuns: 50 });
    }
  });

  it('fd_write: put by one, got by the other, the same fields and count', () => {
    const fast = SPECIALISED_WIRES.fd_write!;
    const derived = deriveWire(ABI.fd_write.wire!);
    fc.assert(fc.property(u32, fc.uint8Array({ maxLength: 300 }), u32, (fd, data, count) => {
      for (const [put, get] of [[fast, derived], [derived, fast]] as const) {
        const s = slots();
        const n = put.putArgs(s, { fd, data, _ret: 0 });
        if (data.length > s.d.length) { expect(n).toBe(-1); continue; }
        const a = get.getArgs(s, n);
        expect(a.fd).toBe(fd);
        expect([...a.data]).toEqual([...data]);
        put.putResult(s, count);
        expect(get.getResult(s, 0)).toBe(count);
      }
    }));
  });

  it('fd_read: put by one, got by the other, the same fd, max and noWait; bytes back unchanged', () => {
    const fast = SPECIALISED_WIRES.fd_read!;
    const derived = deriveWire(ABI.fd_read.wire!);
    fc.assert(fc.property(u32, fc.integer({ min: 0, max: 300 }), fc.boolean(), fc.uint8Array({ maxLength: 256 }), (fd, max, noWait, back) => {
      for (const [put, get] of [[fast, derived], [derived, fast]] as const) {
        const s = slots();
        const n = put.putArgs(s, { fd, max, noWait, _iovs: [], _ret: 0 });
        if (max > s.d.length) { expect(n).toBe(-1); continue; }
        const a = get.getArgs(s, n);
        expect([a.fd, a.max, a.noWait]).toEqual([fd, max, noWait]);
        const r = put.putResult(s, back);
        expect([...get.getResult(s, r)]).toEqual([...back]);
      }
    }));
  });
});

describe('one errno mapping point', () => {
  it('errnoOf: a SysError is its errno, a TaskExit passes, anything else is logged and EIO', () => {
    const bugs: string[] = [];
    const host = { logBug: (what: string) => { bugs.push(what); } };
    expect(errnoOf(E.NOENT, host, 'x')).toBe(Errno.NOENT);
    expect(errnoOf(E.FAULT, host, 'x')).toBe(Errno.FAULT);
    expect(bugs).toEqual([]);
    expect(() => errnoOf(new TaskExit({ code: 3 }), host, 'x')).toThrow(TaskExit);
    expect(errnoOf(new TypeError('boom'), host, 'fd_write failed')).toBe(Errno.IO);
    expect(errnoOf('a string', host, 'odd')).toBe(Errno.IO);
    expect(bugs).toEqual(['fd_write failed', 'odd']);
  });

  it('no other code under kernel/ or src/sentry/ turns a caught error into an errno', () => {
    const root = join(__dirname, '..', '..', '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(root, 'kernel'));
    walk(join(root, 'src', 'sentry'));
    // `err.errno`, `e.errno`, `E.IO.errno` of a caught error, and a SysError's errno read in a catch
    const conversion = /\b(err|e|error|x)\.errno\b|E\.IO\.errno/;
    const found = files.filter((f) => conversion.test(readFileSync(f, 'utf8'))).map((f) => f.slice(root.length + 1)).sort();
    expect(found).toEqual([
      // the app side's mapping of a reply status (BUG: a kernel bug the Sentry logged) to EIO
      'kernel/platform/sentry_fast.ts',
      // poll_oneoff: one subscription's failure is its event's `error` field, not the call's errno
      'kernel/syscalls/poll.ts',
      // errnoOf itself
      'kernel/syscalls/dispatch.ts',
    ].sort());
    const fast = readFileSync(join(root, 'kernel/platform/sentry_fast.ts'), 'utf8');
    expect(fast.match(/E\.IO\.errno/g)).toHaveLength(1); // replyErrno's, nothing else
  });
});
