import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Hub, type SentryReply as Reply } from '../../kernel/platform/sentry_protocol.js';
import { createChannelBuffer, createHubBuffer } from '../../src/sentry/channel.js';
import { ChannelServer, PENDING } from '../../src/sentry/channel_server.js';
import { decode, encode } from '../../src/sentry/value_codec.js';
import { distFile } from '../../src/host/node_workers.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const clientScript = fileURLToPath(new URL('./fixtures/channel_client.mjs', import.meta.url));

function runClient(channel: SharedArrayBuffer, hub: SharedArrayBuffer, id: number, calls: { op: number; arg: unknown }[], opts: { wires?: boolean; jitterUs?: number } = {}) {
  const w = new Worker(clientScript, {
    workerData: {
      channel, hub, id, calls, channelModule: pathToFileURL(distFile('src/sentry/channel.js')).href,
      wiresModule: opts.wires ? pathToFileURL(distFile('kernel/platform/sentry_wire.js')).href : undefined,
      jitterUs: opts.jitterUs,
    },
  });
  return new Promise<{ ok: boolean; error?: string; name?: string; results: Reply[] }>((resolve, reject) => {
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

describe('codec', () => {
  it('round-trips plain values', () => {
    const v = { a: 1, b: -2.5, c: 'héllo', d: new Uint8Array([1, 2, 3]), e: [true, false, null, undefined],
      f: 2n ** 63n, g: -5n, h: 2n ** 70n, i: '', j: { k: [1, 'x'] }, l: -0 };
    const out = decode(encode(v)) as typeof v;
    expect(out).toEqual(v);
    expect(Object.is(out.l, -0)).toBe(true);
  });
  it('leaves out ABI-private keys (leading underscore)', () => {
    expect(decode(encode({ fd: 1, _ret: 8, data: new Uint8Array([1]) }))).toEqual({ fd: 1, data: new Uint8Array([1]) });
  });
  it('refuses class instances and functions', () => {
    expect(() => encode(new Map())).toThrow(/cannot encode a Map/);
    expect(() => encode(() => 1)).toThrow(/cannot encode a function/);
  });
});

describe('SAB channel', () => {
  it('needs dist: a clear message names npm run build', () => {
    expect(() => distFile('src/host/no_such_file.js')).toThrow(/npm run build/);
  });

  it('serves several app workers, parks a request and answers it later, moves big buffers in chunks', async () => {
    const hub = createHubBuffer(8);
    const parked: number[] = [];
    const server = new ChannelServer(hub, (id, op, arg) => {
      if (op === 1) return { status: 0, value: arg };
      if (op === 2) { parked.push(id); return PENDING; }
      if (op === 3) throw new Error('handler bug');
      return { status: 99, value: null };
    }, { defer: setImmediate, bugStatus: 29, onBug: () => {} });
    const chans = [0, 1, 2].map(() => createChannelBuffer(256));
    chans.forEach((c, i) => server.attach(i, c));
    server.start();
    const big = new Uint8Array(10_000).map((_, i) => i & 255);
    const p0 = runClient(chans[0]!, hub, 0, [{ op: 1, arg: { x: 1 } }, { op: 1, arg: big }, { op: 3, arg: 0 }]);
    const p1 = runClient(chans[1]!, hub, 1, [{ op: 2, arg: 'wait' }, { op: 1, arg: 'after' }]);
    const p2 = runClient(chans[2]!, hub, 2, Array.from({ length: 1000 }, (_, i) => ({ op: 1, arg: i })));
    // p0 and p2 finish while p1 is parked: the server never blocks on one channel
    const [r0, r2] = await Promise.all([p0, p2]);
    expect(r0.ok).toBe(true);
    expect(r0.results[0]).toEqual({ status: 0, value: { x: 1 } });
    expect(r0.results[1]!.value).toEqual(big);
    expect(r0.results[2]!.status).toBe(29);
    expect(r2.results.map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await until(() => parked.length > 0);
    expect(parked).toEqual([1]);
    server.respond(1, { status: 7, value: new Uint8Array(5000).fill(9) });
    const r1 = await p1;
    expect(r1.ok).toBe(true);
    expect(r1.results[0]!.status).toBe(7);
    expect((r1.results[0]!.value as Uint8Array).length).toBe(5000);
    expect(r1.results[1]).toEqual({ status: 0, value: 'after' });
    server.stop();
  });

  it('survives a producer that died between reserving a ring slot and filling it', async () => {
    const hub = createHubBuffer(4);
    const server = new ChannelServer(hub, (_id, _op, arg) => ({ status: 0, value: arg }), { defer: setImmediate });
    const ch = createChannelBuffer();
    server.attach(0, ch);
    server.start();
    Atomics.add(new Int32Array(hub), Hub.TAIL, 1); // an app worker terminated right after Atomics.add
    const r = await runClient(ch, hub, 0, Array.from({ length: 10 }, (_, i) => ({ op: 1, arg: i })));
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => x.value)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    server.stop();
  });

  it('no request is lost whichever phase of the serve loop it meets (ring, watched channel, sleep)', async () => {
    // Requests come from 4 workers with random gaps of 0–60 µs, from a tight loop to gaps
    // longer than the server's short spin, so they land while it drains the ring, while it
    // spins watching the channel answered last (no ring entry: Ch.WATCH), just as it stops
    // watching, and while it sleeps. Half the calls use a fixed wire layout.
    const { SYSCALL_BY_NAME } = await import('../../kernel/syscalls/table.js');
    const clockNr = SYSCALL_BY_NAME.get('clock_time_get')!.nr;
    const hub = createHubBuffer(8);
    let served = 0;
    const server = new ChannelServer(hub, (_id, op, arg) => {
      served++;
      return op === clockNr ? { status: 0, value: BigInt((arg as { id: number }).id) * 3n } : { status: 0, value: arg };
    }, { defer: setImmediate, spinMax: 256, wires: (await import('../../kernel/platform/sentry_wire.js')).SENTRY_WIRES });
    const n = 3000;
    const chans = [0, 1, 2, 3].map(() => createChannelBuffer(256));
    chans.forEach((c, i) => server.attach(i, c));
    server.start();
    const runs = chans.map((c, i) => runClient(c, hub, i, Array.from({ length: n }, (_, k) => (
      k % 2 ? { op: 1, arg: i * 100_000 + k } : { op: clockNr, arg: { id: k, precision: 0n, _ret: 0 } }
    )), { wires: true, jitterUs: i === 0 ? 0 : 60 }));
    const rs = await Promise.all(runs);
    rs.forEach((r, i) => {
      expect(r.ok, r.error).toBe(true);
      expect(r.results.map((x) => x.value)).toEqual(Array.from({ length: n }, (_, k) => (k % 2 ? i * 100_000 + k : BigInt(k) * 3n)));
    });
    expect(served).toBe(4 * n);
    // every request was announced (ring or watch): none waited for the recovery scan
    expect(server.recovered).toBe(0);
    server.stop();
  }, 120_000);

  it('an answer that cannot be sent fails that call as a bug; the serve loop goes on', async () => {
    const hub = createHubBuffer(4);
    const bugs: unknown[] = [];
    // op 4 answers with a value the codec refuses (a Map): building the reply throws
    const server = new ChannelServer(hub, (_id, op, arg) => (op === 4 ? { status: 0, value: new Map() } : { status: 0, value: arg }),
      { defer: setImmediate, bugStatus: 29, onBug: (e) => { bugs.push(e); } });
    const ch = createChannelBuffer(256);
    server.attach(0, ch);
    server.start();
    const r = await runClient(ch, hub, 0, [{ op: 4, arg: 0 }, { op: 1, arg: 'still served' }]);
    expect(r.ok, r.error).toBe(true);
    expect(r.results[0]!.status).toBe(29);
    expect(String(r.results[0]!.value)).toMatch(/could not be sent: cannot encode a Map/);
    expect(r.results[1]).toEqual({ status: 0, value: 'still served' });
    expect(bugs).toHaveLength(1);
    server.stop();
  });

  it('closing a channel wakes a parked caller with ChannelClosed', async () => {
    const hub = createHubBuffer(4);
    const server = new ChannelServer(hub, () => PENDING, { defer: setImmediate });
    const ch = createChannelBuffer();
    server.attach(0, ch);
    server.start();
    const p = runClient(ch, hub, 0, [{ op: 1, arg: 0 }]);
    await until(() => server.isBusy(0));
    server.close(0);
    const r = await p;
    expect(r.ok).toBe(false);
    expect(r.name).toBe('ChannelClosed');
    server.stop();
  });
});
