// The fixed wire layouts of the hot calls: each must deliver to the Sentry
// exactly what the generic codec would (minus the ABI-private `_` fields),
// and give the app side back the handler's result unchanged; a value that
// does not fit must fall back to the generic encoding, over a real channel.
import { describe, expect, it } from 'vitest';
import { SENTRY_WIRES, wireSlots, type Wire } from '../../kernel/platform/sentry_wire.js';
import { SYSCALL_BY_NAME } from '../../kernel/syscalls/table.js';
import { Ch, Flag, HEADER_BYTES, State } from '../../kernel/platform/sentry_protocol.js';
import { decode, encode } from '../../src/sentry/value_codec.js';
import { ChannelClient, createChannelBuffer, createHubBuffer } from '../../src/sentry/channel.js';
import { ChannelServer, PENDING } from '../../src/sentry/channel_server.js';

const wire = (name: string): Wire => {
  const w = SENTRY_WIRES[SYSCALL_BY_NAME.get(name)!.nr];
  if (!w) throw new Error(`no wire for ${name}`);
  return w;
};

/** What the generic codec delivers: `_` fields dropped, everything else as is. */
const viaCodec = (v: unknown) => decode(encode(v));

const slotsOf = (dataBytes = 256) => wireSlots(createChannelBuffer(dataBytes), HEADER_BYTES);

const filestat = {
  dev: 7n, ino: (1n << 63n) + 5n, filetype: 4, nlink: 2n, size: 123456789012n,
  atim: 1_700_000_000_123_456_789n, mtim: 1n, ctim: 0n, mode: 0o4755, uid: 1000, gid: 4294967294,
};

const cases: [string, Record<string, unknown>, unknown][] = [
  ['fd_write', { fd: 1, data: new Uint8Array([1, 2, 3]), _ret: 8 }, 3],
  ['fd_pwrite', { fd: 4, data: new Uint8Array([9]), offset: (1n << 64n) - 1n, _ret: 8 }, 1],
  ['fd_read', { fd: 0, max: 200, _iovs: [{ ptr: 1, len: 2 }], _ret: 8 }, new Uint8Array([5, 6, 7])],
  // a later piece of a read bigger than the data area (sentry_fast.ts): would-block is an empty answer
  ['fd_read', { fd: 0, max: 200, noWait: true, _iovs: [], _ret: 8 }, new Uint8Array(0)],
  ['fd_pread', { fd: 3, max: 0, offset: 77n, _iovs: [], _ret: 8 }, new Uint8Array(0)],
  ['fd_close', { fd: 0xffff_fffe }, undefined],
  ['fd_seek', { fd: 3, offset: -5n, whence: 2, _ret: 16 }, 1234n],
  ['fd_tell', { fd: 3, _ret: 16 }, (1n << 63n) + 1n],
  ['fd_fdstat_get', { fd: 3, _ret: 16 }, { filetype: 4, flags: 1, rightsBase: 0x1fff_ffff, rightsInheriting: 2 ** 40 + 3 }],
  ['fd_filestat_get', { fd: 3, _ret: 16 }, filestat],
  ['clock_time_get', { id: 1, precision: 1000n, _ret: 16 }, 1_700_000_000_000_000_001n],
  ['path_open', {
    fd: 3, dirflags: 1, path: 'a/dir/ünïcödé/file.txt', oflags: 9,
    rightsBase: (1n << 64n) - 1n, rightsInheriting: 0n, fdflags: 1, _ret: 20,
  }, 7],
  ['path_filestat_get', { fd: 3, flags: 1, path: 'x', _ret: 16 }, filestat],
  ['random_get', { len: 16, _buf: 64 }, new Uint8Array(16).fill(0xab)],
];

describe('sentry wire layouts', () => {
  it.each(cases)('%s: arguments and result cross as the generic codec would carry them', (name, args, result) => {
    const w = wire(name);
    const s = slotsOf();
    const n = w.putArgs(s, args);
    expect(n).toBeGreaterThanOrEqual(0);
    // the Sentry side gets the same plain values (private `_` fields are not read by handlers)
    const got = w.getArgs(s, n) as Record<string, unknown>;
    const want = viaCodec(args) as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) expect(got[k], k).toEqual(v);
    const r = w.putResult(s, result);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(w.getResult(s, r)).toEqual(result === undefined ? undefined : viaCodec(result));
  });

  it('refuses (-1) what does not fit, so the channel can fall back', () => {
    const s = slotsOf(16);
    expect(wire('fd_write').putArgs(s, { fd: 1, data: new Uint8Array(17), _ret: 0 })).toBe(-1);
    expect(wire('fd_write').putArgs(s, { fd: 1, data: new Uint8Array(16), _ret: 0 })).toBe(16);
    expect(wire('fd_read').putArgs(s, { fd: 1, max: 17, _iovs: [], _ret: 0 })).toBe(-1);
    expect(wire('path_open').putArgs(s, { fd: 3, dirflags: 0, path: 'x'.repeat(17), oflags: 0, rightsBase: 0n, rightsInheriting: 0n, fdflags: 0, _ret: 0 })).toBe(-1);
    // 8 characters, 16 UTF-8 bytes: fits exactly; one more does not
    expect(wire('path_open').putArgs(s, { fd: 3, dirflags: 0, path: 'é'.repeat(8), oflags: 0, rightsBase: 0n, rightsInheriting: 0n, fdflags: 0, _ret: 0 })).toBe(16);
    expect(wire('path_open').putArgs(s, { fd: 3, dirflags: 0, path: 'é'.repeat(9), oflags: 0, rightsBase: 0n, rightsInheriting: 0n, fdflags: 0, _ret: 0 })).toBe(-1);
    expect(wire('random_get').putArgs(s, { len: 17, _buf: 0 })).toBe(-1);
  });

  it('every wire belongs to a real syscall and calls without one use the generic encoding', () => {
    const named = SENTRY_WIRES.map((w, nr) => (w ? nr : -1)).filter((nr) => nr >= 0);
    expect(named.length).toBeGreaterThanOrEqual(10);
    expect(SENTRY_WIRES[SYSCALL_BY_NAME.get('poll_oneoff')!.nr]).toBeUndefined();
  });
});

describe('a channel with wire layouts', () => {
  /** One-thread client and server over a real channel; the handler echoes what it got. */
  function pair(dataBytes: number, handler: (op: number, arg: unknown) => { status: number; value: unknown } | typeof PENDING) {
    const hub = createHubBuffer(4);
    const sab = createChannelBuffer(dataBytes);
    const seen: { op: number; arg: unknown; fixed: boolean }[] = [];
    const h = new Int32Array(sab, 0, HEADER_BYTES / 4);
    const server = new ChannelServer(hub, (_id, op, arg) => {
      seen.push({ op, arg, fixed: (h[Ch.FLAGS]! & Flag.FIXED) !== 0 });
      return handler(op, arg);
    }, { defer: () => {}, wires: SENTRY_WIRES });
    server.attach(0, sab);
    class Client extends ChannelClient {
      protected override await(hh: Int32Array): void {
        while (Atomics.load(hh, Ch.STATE) === State.REQ) server.drain();
      }
    }
    return { client: new Client(sab, hub, 0, 0, SENTRY_WIRES), seen, server, h };
  }
  const WRITE = SYSCALL_BY_NAME.get('fd_write')!.nr;
  const READ = SYSCALL_BY_NAME.get('fd_read')!.nr;

  it('a small write crosses in the fixed layout; one bigger than the data area falls back and still arrives whole', () => {
    const { client, seen } = pair(64, (_op, arg) => ({ status: 0, value: (arg as { data: Uint8Array }).data.length }));
    const small = client.call(WRITE, { fd: 1, data: new Uint8Array([1, 2]), _ret: 0 });
    expect(small).toMatchObject({ status: 0, value: 2 });
    expect(seen[0]!.fixed).toBe(true);
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    const r = client.call(WRITE, { fd: 1, data: big, _ret: 0 });
    expect(r).toMatchObject({ status: 0, value: 1000 });
    expect(seen[1]!.fixed).toBe(false);
    expect((seen[1]!.arg as { data: Uint8Array }).data).toEqual(big);
  });

  it('an errno answer carries no value; an exit answer (negative status) carries its status in the generic encoding', () => {
    let next: { status: number; value: unknown } = { status: 8, value: undefined };
    const { client } = pair(64, () => next);
    expect(client.call(READ, { fd: 9, max: 4, _iovs: [], _ret: 0 })).toMatchObject({ status: 8, value: undefined });
    next = { status: -2, value: { code: 3, reason: 'bye' } };
    expect(client.call(READ, { fd: 0, max: 4, _iovs: [], _ret: 0 })).toMatchObject({ status: -2, value: { code: 3, reason: 'bye' } });
  });

  it('a parked fixed-layout request is answered later in the fixed layout', () => {
    let parked = true;
    const { client, server } = pair(64, () => (parked ? PENDING : { status: 0, value: 0 }));
    // the handler parks; the test answers from "outside" while the client waits
    let answered = false;
    const orig = server.drain.bind(server);
    server.drain = (deadline?: number) => {
      const ok = orig(deadline);
      if (!answered && server.isBusy(0)) {
        answered = true;
        parked = false;
        server.respond(0, { status: 0, value: new Uint8Array([4, 5, 6]) });
      }
      return ok;
    };
    expect(client.call(READ, { fd: 0, max: 8, _iovs: [], _ret: 0 })).toMatchObject({ status: 0, value: new Uint8Array([4, 5, 6]) });
  });
});
