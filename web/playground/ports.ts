/**
 * The page's side of `/ports/CTRPORT/…`: the container's published ports
 * (the Ports field, or the image's `wasmvisor.playground.ports` label) are
 * listeners of a `BrowserNet` whose kernel end goes to the container, so
 * the guest gets them preopened with LISTEN_FDS. The service worker (sw.ts)
 * hands each `fetch` under `/ports/` to this page; it is written to the
 * guest as an HTTP/1.1 request (`Connection: close`), and the guest's answer
 * is parsed back into status, headers and body.
 */
import { BrowserNet, BrowserNetError } from '../../src/host/browser_net.js';
import type { NetSpec } from '../../src/sentry/control_plane.js';

/** A request under /ports/, as the service worker forwards it. */
export interface PortRequest {
  t: 'wasmvisor-port';
  port: number;
  method: string;
  /** Path and query inside the container's server ("/", "/a.txt?x=1"). */
  path: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

/** The page's answer: a response, or why there is none (the service worker answers 502/504). */
export type PortAnswer =
  | { ok: true; status: number; statusText: string; headers: [string, string][]; body: Uint8Array }
  | { ok: false; status: number; message: string };

/** Headers the page sets itself (hop-by-hop, or fixed for the guest). */
const DROP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/** The HTTP/1.1 request bytes for `r` (Host: localhost:PORT, Connection: close). */
export function requestBytes(r: PortRequest): Uint8Array {
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: localhost:${r.port}`, 'Connection: close'];
  for (const [k, v] of r.headers) if (!DROP.has(k.toLowerCase()) && !/[\r\n]/.test(k + v)) lines.push(`${k}: ${v}`);
  if (r.body && r.body.byteLength > 0) lines.push(`Content-Length: ${r.body.byteLength}`);
  const head = new TextEncoder().encode(`${lines.join('\r\n')}\r\n\r\n`);
  if (!r.body || r.body.byteLength === 0) return head;
  const out = new Uint8Array(head.byteLength + r.body.byteLength);
  out.set(head);
  out.set(r.body, head.byteLength);
  return out;
}

interface Head { status: number; statusText: string; headers: [string, string][]; bodyAt: number }

/** Parse the status line and headers at the start of `b` (null: not all there yet). */
function parseHead(b: Uint8Array): Head | null {
  let end = -1;
  for (let i = 3; i < b.byteLength; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return null;
  const lines = new TextDecoder('latin1').decode(b.subarray(0, end - 4)).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`the guest's answer is not HTTP/1.x: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.push([l.slice(0, i).trim(), l.slice(i + 1).trim()]);
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers, bodyAt: end };
}

const header = (h: Head, name: string) => h.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** True once `head` (the answer's start, `size` bytes in all) is a whole response to a `method` request with a Content-Length. */
export function responseComplete(method: string, head: Uint8Array, size: number): boolean {
  const h = parseHead(head);
  if (!h) return false;
  if (method === 'HEAD' || h.status === 204 || h.status === 304) return true;
  const len = header(h, 'content-length');
  return len !== undefined && /^\d+$/.test(len) && size >= h.bodyAt + Number(len);
}

/** Decode a chunked body (trailers dropped). */
function unchunk(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    let nl = off;
    while (nl + 1 < b.byteLength && !(b[nl] === 13 && b[nl + 1] === 10)) nl++;
    if (nl + 1 >= b.byteLength) throw new Error('the guest\'s chunked answer ends early');
    const n = parseInt(new TextDecoder('latin1').decode(b.subarray(off, nl)).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(n)) throw new Error('the guest\'s chunked answer has a bad chunk size');
    if (n === 0) break;
    parts.push(b.subarray(nl + 2, nl + 2 + n));
    off = nl + 2 + n + 2;
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** The response in `b` (what the guest wrote before it closed, or a complete one). */
export function parseResponse(method: string, b: Uint8Array): { status: number; statusText: string; headers: [string, string][]; body: Uint8Array } {
  const h = parseHead(b);
  if (!h) throw new Error(b.byteLength === 0 ? 'the guest closed the connection without answering' : 'the guest\'s answer ends inside its headers');
  let body = method === 'HEAD' ? new Uint8Array(0) : b.subarray(h.bodyAt);
  const len = header(h, 'content-length');
  if (/chunked/i.test(header(h, 'transfer-encoding') ?? '')) body = unchunk(body);
  else if (len !== undefined && /^\d+$/.test(len)) body = body.subarray(0, Number(len));
  const headers = h.headers.filter(([k]) => !DROP.has(k.toLowerCase()));
  return { status: h.status, statusText: h.statusText, headers, body };
}

/** The published ports of the running container: container port → listener of its BrowserNet. */
export class PagePorts {
  private net: BrowserNet | null = null;
  private readonly ports = new Map<number, number>();

  /** New listeners for `ports` (the previous container's are closed); the NetSpec for `Runtime.run`, or undefined for none. */
  open(ports: number[]): NetSpec | undefined {
    this.close();
    if (ports.length === 0) return undefined;
    this.net = new BrowserNet();
    for (const p of ports) this.ports.set(p, this.net.listen(`${p}/tcp`));
    return this.net.handOff();
  }

  /** The container ended: its listeners are gone. */
  close(): void {
    this.net?.close();
    this.net = null;
    this.ports.clear();
  }

  /** The ports published now. */
  list(): number[] {
    return [...this.ports.keys()];
  }

  /** Answer one request forwarded by the service worker. */
  async answer(r: PortRequest): Promise<PortAnswer> {
    const id = this.ports.get(r.port);
    if (!this.net || id === undefined) {
      return { ok: false, status: 502, message: `no container of this page publishes port ${r.port} (published: ${this.list().join(', ') || 'none'})` };
    }
    try {
      const raw = await this.net.exchange(id, requestBytes(r), { complete: (head, size) => responseComplete(r.method, head, size) });
      return { ok: true, ...parseResponse(r.method, raw) };
    } catch (e) {
      const timeout = e instanceof BrowserNetError && e.code === 'TIMEOUT';
      return { ok: false, status: timeout ? 504 : 502, message: (e as Error).message };
    }
  }
}

/** Serve the service worker's /ports/ requests from `ports` (each comes with a MessagePort for the answer). */
export function servePorts(ports: PagePorts): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    const r = e.data as PortRequest;
    if (r?.t !== 'wasmvisor-port' || !e.ports[0]) return;
    const reply = e.ports[0];
    void ports.answer(r).then((a) => {
      if (a.ok) reply.postMessage(a, [a.body.buffer as ArrayBuffer]);
      else reply.postMessage(a);
    });
  });
  navigator.serviceWorker.startMessages();
}
