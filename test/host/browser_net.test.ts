/**
 * BrowserNet (src/host/browser_net.ts), the page's host side of published
 * ports, against the kernel's real side: the NetPort a Sentry makes of the
 * handed-off channel and the container's NetNamespace, driven here as the
 * guest would through its listener and connections. Flow control both
 * ways, an answer ended by close or by `complete`, and the bounds (answer
 * size, time, backlog, the container gone).
 */
import { describe, expect, it, vi } from 'vitest';
import { BACKLOG, RECV_WINDOW, NetNamespace, type Conn, type Listener } from '../../kernel/fs/socket_ns.js';
import { BrowserNet, BrowserNetError } from '../../src/host/browser_net.js';
import { NetPort } from '../../src/host/net_port.js';

function setup(): { net: BrowserNet; lid: number; ns: NetNamespace; listener: Listener } {
  const net = new BrowserNet();
  const lid = net.listen('8080/tcp');
  const spec = net.handOff();
  expect(spec.listeners).toEqual([{ id: lid, name: '8080/tcp' }]);
  const ns = new NetNamespace(NetPort.fromHandOff(spec));
  const [listener] = ns.addListeners(spec.listeners);
  return { net, lid, ns, listener: listener! };
}

/** Wait for a connection the guest can accept. */
async function accept(l: Listener): Promise<Conn> {
  await vi.waitFor(() => expect(l.pending.length).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
  return l.shift()!;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('BrowserNet', () => {
  it('sends a request larger than the receive window as the guest reads it, and resolves with what the guest wrote when it closes', async () => {
    const { net, lid, ns, listener } = setup();
    const request = new Uint8Array(5 * RECV_WINDOW).map((_, i) => i % 251);
    const answer = net.exchange(lid, request);
    const c = await accept(listener);
    // never more than the window (plus one chunk) arrives before the guest reads
    await vi.waitFor(() => expect(c.buffered).toBe(RECV_WINDOW), { timeout: 5000, interval: 5 });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.buffered).toBe(RECV_WINDOW);
    const got: Uint8Array[] = [];
    let n = 0;
    while (n < request.byteLength) {
      await vi.waitFor(() => expect(c.buffered).toBeGreaterThan(0), { timeout: 5000, interval: 2 });
      const part = c.take(8192, false);
      got.push(part);
      n += part.byteLength;
    }
    expect(Buffer.concat(got).equals(Buffer.from(request))).toBe(true);
    expect(c.send(new TextEncoder().encode('got it all'))).toBe(10);
    ns.closeConn(c);
    expect(text(await answer)).toBe('got it all');
    net.close();
  });

  it('ends an exchange when `complete` says the answer is whole; the guest then sees the connection gone', async () => {
    const { net, lid, listener } = setup();
    const answer = net.exchange(lid, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), { complete: (head, size) => size >= 7 && text(head).startsWith('HTTP') });
    const c = await accept(listener);
    c.send(new TextEncoder().encode('HTT'));
    c.send(new TextEncoder().encode('P/1.1 2'));
    expect(text(await answer)).toBe('HTTP/1.1 2');
    await vi.waitFor(() => expect(c.gone).toBe(true), { timeout: 5000, interval: 5 });
    net.close();
  });

  it('refuses an answer over maxAnswer, and one that does not come in time, and drops the connection', async () => {
    const { net, lid, listener } = setup();
    const big = net.exchange(lid, new Uint8Array([1]), { maxAnswer: 1000 });
    const c1 = await accept(listener);
    c1.send(new Uint8Array(600));
    c1.send(new Uint8Array(600));
    await expect(big).rejects.toMatchObject({ code: 'TOO_BIG' });
    await vi.waitFor(() => expect(c1.gone).toBe(true), { timeout: 5000, interval: 5 });
    const slow = net.exchange(lid, new Uint8Array([1]), { timeoutMs: 100 });
    const c2 = await accept(listener);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.waitFor(() => expect(c2.gone).toBe(true), { timeout: 5000, interval: 5 });
    net.close();
  });

  it('keeps at most BACKLOG connections the guest has not accepted; accepting gives room back', async () => {
    const { net, lid, listener } = setup();
    const pending = Array.from({ length: BACKLOG }, () => net.exchange(lid, new Uint8Array([1])).catch((e: BrowserNetError) => e.code));
    await expect(net.exchange(lid, new Uint8Array([1]))).rejects.toMatchObject({ code: 'BACKLOG' });
    await vi.waitFor(() => expect(listener.pending.length).toBe(BACKLOG), { timeout: 5000, interval: 5 });
    for (let i = 0; i < 16; i++) listener.shift();
    // once the kernel gives the slots back, a new exchange waits instead of failing at once
    const more: Promise<unknown>[] = [];
    await vi.waitFor(async () => {
      const p = net.exchange(lid, new Uint8Array([1])).then(() => 'answered', (e: BrowserNetError) => e.code);
      more.push(p);
      expect(await Promise.race([p, new Promise((r) => setTimeout(() => r('waiting'), 20))])).toBe('waiting');
    }, { timeout: 5000, interval: 5 });
    // the container goes: every exchange still waiting fails
    net.close();
    expect(new Set(await Promise.all(pending))).toEqual(new Set(['CLOSED']));
    expect(await more.at(-1)).toBe('CLOSED');
    await expect(net.exchange(lid, new Uint8Array([1]))).rejects.toMatchObject({ code: 'NO_LISTENER' });
  });

  it('ends exchanges on a listener the guest closed (a connection never accepted is closed with nothing said), and refuses new ones', async () => {
    const { net, lid, ns, listener } = setup();
    const waiting = net.exchange(lid, new Uint8Array([1]));
    await vi.waitFor(() => expect(listener.pending.length).toBe(1), { timeout: 5000, interval: 5 });
    ns.closeListener(listener);
    expect((await waiting).byteLength).toBe(0);
    await vi.waitFor(() => expect(net.exchange(lid, new Uint8Array([1]))).rejects.toMatchObject({ code: 'NO_LISTENER' }), { timeout: 5000, interval: 5 });
    net.close();
  });
});
