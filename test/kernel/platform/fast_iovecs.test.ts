/**
 * The fd_read / fd_write fast paths with any number of iovecs, against the
 * generic path, on both platforms (inline: kernel/platform/inline_fast.ts;
 * sentry: the app side's kernel/platform/sentry_fast.ts over a loopback
 * channel): two environments set up alike (same file, same offset,
 * same memory), one call through the generic import in the first and through
 * the fast path in the second, then the same errno, the same guest memory
 * byte for byte (data, nread/nwritten), the same file offset, file bytes and
 * console output. Explicit cases first, then random iovec layouts (fast-check).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { IOV_MAX } from '../../../kernel/abi/codec.js';
import { Rights } from '../../../kernel/abi/wasi.js';
import { E, Errno } from '../../../kernel/errno.js';
import { installInlineFastPaths } from '../../../kernel/platform/inline_fast.js';
import { FdFlags, type OpenFile } from '../../../kernel/vfs/types.js';
import { makeEnv, openPath, type Env } from '../syscalls/harness.js';

type Sys = (...raw: (number | bigint)[]) => number;
const PAGE = 65_536;
const IOV = 2048;
const RET = 1536;
const BUF = 8192;

/** One environment: the file `f` holding `content` open on `fd` at `offset`, memory filled with a pattern. */
interface Side {
  env: Env;
  fd: number;
  /** A read-only fd of `f`, to look at its bytes. */
  reader: number;
  read: Sys;
  write: Sys;
  /** fd_read / fd_write calls that reached the dispatcher (the generic path). */
  dispatched: () => number;
}

function pattern(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed + (i >> 9)) & 0xff;
  return b;
}

/** The platform of the tests now running (set by each platform's describe). */
let platform: 'inline' | 'sentry' = 'inline';

function side(fast: boolean, opts: { content?: Uint8Array; offset?: number; pages?: number; append?: boolean } = {}): Side {
  const env = platform === 'sentry' ? makeEnv({ platform, sentryFastPaths: fast }) : makeEnv({ platform });
  if ((opts.pages ?? 1) > 1) env.memory.grow(opts.pages! - 1);
  const w = openPath(env, 'f', 1 /* CREAT */);
  if (opts.content) env.task.fds.file(w).write(opts.content);
  const fd = openPath(env, 'f', 0, opts.append ? FdFlags.APPEND : 0);
  if (opts.offset) env.task.fds.file(fd).seek(BigInt(opts.offset), 0);
  const reader = openPath(env, 'f', 0, 0, 1n << 1n);
  let read = env.sys.fd_read!;
  let write = env.sys.fd_write!;
  if (fast && platform === 'inline') {
    const ns: Record<string, Sys> = { fd_read: read, fd_write: write };
    const ctx = { memory: env.mem, host: env.host, pid: env.task.pid, invoke: () => { throw new Error('unused'); } };
    installInlineFastPaths(ns as never, ctx, env.kernel.dispatcher, env.task);
    read = ns.fd_read!;
    write = ns.fd_write!;
  }
  let n = 0;
  const attempt = env.kernel.dispatcher.attempt.bind(env.kernel.dispatcher);
  env.kernel.dispatcher.attempt = (...a) => { if (a[1].name === 'fd_read' || a[1].name === 'fd_write') n++; return attempt(...a); };
  env.u8().set(pattern(env.mem.size, 3));
  return { env, fd, reader, read, write, dispatched: () => n };
}

/** What a call left behind. */
function state(s: Side) {
  const f = s.env.task.fds.file(s.fd);
  const r = s.env.task.fds.file(s.reader);
  return {
    offset: f.tell(),
    file: Buffer.from(r.pread(Number(r.stat().size), 0n)).toString('hex'),
    stdout: s.env.stdout.text,
  };
}

/** Generic and fast environments built alike. */
function pair(opts: Parameters<typeof side>[1] = {}): [Side, Side] {
  return [side(false, opts), side(true, opts)];
}

/**
 * Lay out `iovs` at `at` in both environments, call `op` on `fd` (the file
 * unless given) in each, and expect the same errno and the same memory, file
 * and console afterwards. Returns the errno and nread/nwritten.
 */
function same(sides: [Side, Side], op: 'read' | 'write', iovs: [number, number][], o: { at?: number; count?: number; ret?: number; fd?: number } = {}) {
  const results = sides.map((s) => {
    const at = o.at ?? IOV;
    if (at + iovs.length * 8 <= s.env.mem.size) s.env.iovs(at, iovs);
    const errno = s[op](o.fd ?? s.fd, at, o.count ?? iovs.length, o.ret ?? RET);
    return { errno, mem: s.env.u8().slice(), ...state(s) };
  });
  const [g, f] = results as [(typeof results)[0], (typeof results)[0]];
  expect(f.errno).toBe(g.errno);
  expect(Buffer.compare(f.mem, g.mem), 'guest memory').toBe(0);
  expect({ ...f, mem: null }).toEqual({ ...g, mem: null });
  const ret = o.ret ?? RET;
  return { errno: g.errno, n: ret + 4 <= g.mem.length ? new DataView(g.mem.buffer).getUint32(ret, true) : -1 };
}

for (const p of ['inline', 'sentry'] as const) {
  describe(p, () => {
    beforeAll(() => { platform = p; });

    describe('fast fd_read, several iovecs', () => {
      it('scatters across iovecs like the generic path, skips empty ones, stops mid-iovec at EOF, then reads 0', () => {
        const sides = pair({ content: pattern(500, 1) });
        const layout: [number, number][] = [[BUF, 3], [BUF + 100, 0], [BUF + 10, 5], [BUF + 50, 200], [BUF + 400, 1000]];
        expect(same(sides, 'read', layout)).toEqual({ errno: Errno.SUCCESS, n: 500 });
        expect(same(sides, 'read', layout)).toEqual({ errno: Errno.SUCCESS, n: 0 });
        if (platform === 'inline') expect(sides[1].dispatched()).toBe(0); // the fast path served both calls
      });

      it('short reads exactly as the generic path from any offset', () => {
        for (const offset of [0, 1, 2, 3, 7, 8, 9, 207, 208, 1207, 1208, 1209, 5000]) {
          const sides = pair({ content: pattern(1208, 2), offset });
          const r = same(sides, 'read', [[BUF, 3], [BUF + 10, 5], [BUF + 50, 200], [BUF + 400, 1000]]);
          expect(r.n).toBe(Math.max(0, Math.min(1208, 1208 - offset)));
        }
      });

      it('overlapping iovecs, and iovecs over the iovec array and the nread word', () => {
        const content = pattern(3000, 5);
        same(pair({ content }), 'read', [[BUF, 100], [BUF + 50, 100], [BUF, 10], [BUF + 20, 30]]);
        // The first iovec overwrites the iovec array: the rest are still the ones decoded before the read.
        same(pair({ content }), 'read', [[IOV, 24], [BUF, 10], [BUF + 100, 10]]);
        same(pair({ content }), 'read', [[BUF, 10], [RET - 2, 8], [BUF + 100, 10]]);
      });

      it('iovec count 0, IOV_MAX and above; negative counts', () => {
        const content = pattern(10_000, 7);
        expect(same(pair({ content }), 'read', [], { count: 0 })).toEqual({ errno: Errno.SUCCESS, n: 0 });
        const many: [number, number][] = Array.from({ length: IOV_MAX }, (_, i) => [BUF + i * 3, i % 3]);
        expect(same(pair({ content }), 'read', many)).toEqual({ errno: Errno.SUCCESS, n: 1023 });
        expect(same(pair({ content }), 'read', [[BUF, 4]], { count: IOV_MAX + 1 }).errno).toBe(Errno.INVAL);
        expect(same(pair({ content }), 'read', [[BUF, 4]], { count: -1 }).errno).toBe(Errno.INVAL);
        // Count 0 still needs a readable fd, and a valid iovec pointer and nread.
        const wo = pair({ content }).map((s) => ({ ...s, fd: openPath(s.env, 'f', 0, 0, 1n << 6n) })) as [Side, Side];
        expect(same(wo, 'read', [], { count: 0 }).errno).not.toBe(Errno.SUCCESS);
        expect(same(pair({ content }), 'read', [], { count: 0, at: PAGE + 1 }).errno).toBe(Errno.FAULT);
        expect(same(pair({ content }), 'read', [], { count: 0, ret: PAGE - 2 }).errno).toBe(Errno.FAULT);
      });

      it('a bad pointer in any iovec, the array or nread is EFAULT with nothing read', () => {
        const content = pattern(10_000, 9);
        for (const bad of [[PAGE - 2, 4], [PAGE, 1], [0xffff_fff0, 0x20], [0, 0xffff_ffff]] as [number, number][]) {
          for (const at of [0, 1, 3]) {
            const layout: [number, number][] = [[BUF, 10], [BUF + 20, 10], [BUF + 40, 10]];
            layout.splice(at, 0, bad);
            const sides = pair({ content });
            expect(same(sides, 'read', layout).errno).toBe(Errno.FAULT);
            expect(state(sides[1]).offset).toBe(0n);
          }
        }
        expect(same(pair({ content }), 'read', [[BUF, 4], [BUF + 8, 4]], { at: PAGE - 12 }).errno).toBe(Errno.FAULT);
        expect(same(pair({ content }), 'read', [[BUF, 4], [BUF + 8, 4]], { ret: PAGE - 3 }).errno).toBe(Errno.FAULT);
        expect(same(pair({ content }), 'read', [[BUF, 4], [BUF + 8, 4]], { fd: 99 }).errno).toBe(Errno.BADF);
      });

      it('a total above SSIZE_MAX is EINVAL after every iovec is checked; the total is capped at memory size', () => {
        const pages = 32; // 2 MiB: 1024 iovecs of the whole memory make 2^31 bytes
        const all: [number, number][] = Array.from({ length: IOV_MAX }, () => [0, pages * PAGE]);
        const s1 = pair({ pages, content: pattern(100, 1) });
        for (const s of s1) s.env.iovs(PAGE * 4, all);
        expect(same(s1, 'read', all, { at: PAGE * 4 }).errno).toBe(Errno.INVAL);
        const withBad = all.slice(0, IOV_MAX - 1).concat([[pages * PAGE, 1]]);
        expect(same(pair({ pages, content: pattern(100, 1) }), 'read', withBad, { at: PAGE * 4 }).errno).toBe(Errno.FAULT);
        // 3 × 64 KiB over 64 KiB of memory: a short read of 64 KiB from a bigger file.
        const r = same(pair({ content: pattern(3 * PAGE, 4) }), 'read', [[0, PAGE], [0, PAGE], [0, PAGE]], { at: IOV, ret: RET });
        expect(r.errno).toBe(Errno.SUCCESS);
        // The cap falling inside the second iovec.
        const sides = pair({ content: pattern(3 * PAGE, 4) });
        expect(same(sides, 'read', [[0, 40_000], [100, 40_000]]).errno).toBe(Errno.SUCCESS);
        expect(state(sides[1]).offset).toBe(BigInt(PAGE));
      });

      it('a directory or a write-only fd gives the generic errno', () => {
        const sides = pair({ content: pattern(100, 1) });
        expect(same(sides, 'read', [[BUF, 4], [BUF + 8, 4]], { fd: 3 }).errno).not.toBe(Errno.SUCCESS);
      });
    });

    describe('fast fd_write, several iovecs', () => {
      it('printf-like pairs (buffered bytes + new bytes), contiguous, empty and overlapping iovecs', () => {
        const sides = pair();
        for (const [i, layout] of ([
          [[BUF, 11], [BUF + 300, 1]],
          [[BUF, 0], [BUF + 300, 7]],
          [[BUF, 5], [BUF + 5, 6]],
          [[BUF, 5], [BUF + 100, 0], [BUF + 5, 6], [BUF + 11, 2]],
          [[BUF, 40], [BUF + 10, 40], [BUF, 40]],
          [[BUF, 11], [BUF + 300, 1]],
          [[BUF, 3], [BUF + 300, 9]],
          [[BUF, 0], [BUF, 0]],
        ] as [number, number][][]).entries()) {
          for (const s of sides) s.env.u8().set(pattern(400, i * 11), BUF); // new bytes each time, same lengths
          const n = layout.reduce((a, [, l]) => a + l, 0);
          expect(same(sides, 'write', layout)).toEqual({ errno: Errno.SUCCESS, n });
        }
        if (platform === 'inline') expect(sides[1].dispatched()).toBe(0);
      });

      it('large gathers (above the scratch buffer), APPEND, stdout, and the memory-size cap', () => {
        same(pair({ pages: 4 }), 'write', [[BUF, 70_000], [BUF + 100_000, 30_000], [BUF + 5, 3]]);
        same(pair({ pages: 4 }), 'write', [[BUF, 60_000], [BUF + 100_000, 30_000]]);
        same(pair({ content: pattern(100, 1), append: true }), 'write', [[BUF, 10], [BUF + 50, 10]]);
        const out = pair();
        for (const s of out) { s.env.put(BUF, 'hello '); s.env.put(BUF + 100, 'world\n'); }
        expect(same(out, 'write', [[BUF, 6], [BUF + 100, 6]], { fd: 1 })).toEqual({ errno: Errno.SUCCESS, n: 12 });
        expect(out[1].env.stdout.text).toBe('hello world\n');
        expect(same(pair(), 'write', [[0, PAGE], [100, PAGE - 100], [0, 7]]).n).toBe(PAGE);
      });

      it('checks as the generic path: EFAULT anywhere, EINVAL above IOV_MAX, count 0, bad fds; nothing written', () => {
        for (const bad of [[PAGE - 2, 4], [0xffff_fff0, 0x20]] as [number, number][]) {
          const sides = pair({ content: pattern(10, 1) });
          expect(same(sides, 'write', [[BUF, 10], [BUF + 20, 10], bad]).errno).toBe(Errno.FAULT);
          expect(state(sides[1]).file).toBe(Buffer.from(pattern(10, 1)).toString('hex'));
        }
        expect(same(pair(), 'write', [[BUF, 4], [BUF + 8, 4]], { ret: PAGE - 1 }).errno).toBe(Errno.FAULT);
        expect(same(pair(), 'write', [[BUF, 4]], { count: IOV_MAX + 1 }).errno).toBe(Errno.INVAL);
        expect(same(pair(), 'write', [], { count: 0 })).toEqual({ errno: Errno.SUCCESS, n: 0 });
        const many: [number, number][] = Array.from({ length: IOV_MAX }, (_, i) => [BUF + ((i * 37) % 5000), i % 5]);
        same(pair(), 'write', many);
        expect(same(pair(), 'write', [[BUF, 4], [BUF + 8, 4]], { fd: 99 }).errno).toBe(Errno.BADF);
        const ro = pair().map((s) => ({ ...s, fd: openPath(s.env, 'f', 0, 0, 1n << 1n) })) as [Side, Side];
        expect(same(ro, 'write', [[BUF, 4], [BUF + 8, 4]]).errno).not.toBe(Errno.SUCCESS);
      });
    });

    describe('fast paths on random iovec layouts', () => {
      const ptr = fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: BUF, max: BUF + 4000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: PAGE }) },
        { weight: 1, arbitrary: fc.constantFrom(IOV, IOV + 8, RET - 4, RET, PAGE - 1, PAGE, 0xffff_fff8) },
      );
      const len = fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 16 }) },
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 3000 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, PAGE, PAGE / 2, 0xffff_ffff) },
      );
      /** Mostly undefined (the usual value), sometimes one of `values`. */
      const sometimes = <T>(values: T[]) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...values) });
      const call = fc.record({
        op: fc.constantFrom('read' as const, 'write' as const),
        iovs: fc.array(fc.tuple(ptr, len), { minLength: 0, maxLength: 6 }),
        count: sometimes([0, 1, IOV_MAX + 1, -1]),
        at: sometimes([PAGE - 8, PAGE - 16, RET - 8, 0xffff_fff0]),
        ret: sometimes([PAGE - 4, PAGE - 2, IOV, BUF + 2]),
        fd: sometimes([1, 3, 99]),
      });

      it('give the generic path\'s errno, memory, offset and file', () => {
        const outcomes = { data: 0, zero: 0, error: 0 };
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: 12_000 }),
            fc.integer({ min: 0, max: 13_000 }),
            fc.boolean(),
            fc.array(call, { minLength: 1, maxLength: 4 }),
            (size, offset, append, calls) => {
              const sides = pair({ content: pattern(size, size & 0xff), offset, append });
              for (const c of calls) {
                const r = same(sides, c.op, c.iovs, c);
                outcomes[r.errno === Errno.SUCCESS ? (r.n > 0 ? 'data' : 'zero') : 'error']++;
              }
            },
          ),
          { numRuns: 300 },
        );
        // Not vacuous: many calls moved bytes, many failed.
        expect(outcomes.data).toBeGreaterThan(100);
        expect(outcomes.error).toBeGreaterThan(100);
      });
    });
  });
}

/**
 * A readable file whose reads are short (at most `cap` bytes, as a host
 * file's 16 MiB cap or a short host pread) and whose `failAt`-th read fails
 * with EIO: where the fast path may differ from the generic one (see
 * kernel/platform/inline_fast.ts).
 */
class ShortFile {
  readonly filetype = 4; // REGULAR_FILE
  fdflags = 0;
  readonly mode = { read: true, write: false };
  off = 0;
  calls = 0;
  constructor(readonly data: Uint8Array, readonly cap: number, readonly failAt = Infinity) {}
  read(max: number): Uint8Array {
    if (++this.calls === this.failAt) throw E.IO;
    const out = this.data.slice(this.off, this.off + Math.min(max, this.cap));
    this.off += out.length;
    return out;
  }
  readInto(dst: Uint8Array, dstOff: number, len: number): number {
    const b = this.read(len);
    dst.set(b, dstOff);
    return b.length;
  }
}

describe('inline fast fd_read of a file with short reads', () => {
  beforeAll(() => { platform = 'inline'; });
  const data = pattern(100, 9);
  const layout: [number, number][] = [[BUF, 3], [BUF + 10, 10], [BUF + 30, 10]];

  function setup(file: ShortFile): { env: Env; fd: number; read: Sys } {
    const s = side(true);
    const fd = s.env.task.fds.insert(file as unknown as OpenFile, Rights.FD_READ, 0);
    s.env.iovs(IOV, layout);
    return { env: s.env, fd, read: s.read };
  }

  it('fills iovecs in turn and stops at the first short one', () => {
    const { env, fd, read } = setup(new ShortFile(data, 5));
    expect(read(fd, IOV, 3, RET)).toBe(Errno.SUCCESS);
    expect(env.u32(RET)).toBe(8); // 3, then 5 of 10: the generic path's one read would give 5
    expect(Buffer.from(env.u8().subarray(BUF, BUF + 3))).toEqual(Buffer.from(data.subarray(0, 3)));
    expect(Buffer.from(env.u8().subarray(BUF + 10, BUF + 15))).toEqual(Buffer.from(data.subarray(3, 8)));
  });

  it('an error after some iovecs were filled reports those bytes (as readv(2)); an error before any is the errno', () => {
    const file = new ShortFile(data, 50, 2);
    const { env, fd, read } = setup(file);
    expect(read(fd, IOV, 3, RET)).toBe(Errno.SUCCESS);
    expect(env.u32(RET)).toBe(3);
    const again = new ShortFile(data, 50, 1);
    const b = setup(again);
    b.env.dv().setUint32(RET, 0xdead, true);
    expect(b.read(b.fd, IOV, 3, RET)).toBe(Errno.IO);
    expect(b.env.u32(RET)).toBe(0xdead); // nothing reported
  });
});
