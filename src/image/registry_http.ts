/**
 * The HTTP transport of the registry client, on node:http/node:https with
 * keep-alive agents: one request, redirects followed (Authorization dropped
 * when the host changes, as blob redirects to object stores need), the
 * response body left as a stream for the caller. Retries and auth live in
 * registry.ts; this file only moves bytes.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/** A request body: bytes, or a factory for a fresh stream (so that a retry can resend it). */
export type Body = Uint8Array | (() => Readable);

/** What to send. */
export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Body;
  /** Accept any TLS certificate (self-signed registries, `--tls-verify=false`). */
  insecureTls?: boolean;
  /** Give up when no byte arrives for this long (ms). */
  idleTimeoutMs?: number;
  /** Follow up to this many redirects (default 5). */
  maxRedirects?: number;
}

/** What came back; `body` must be consumed or destroyed. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** The final URL after redirects. */
  url: URL;
}

/** Keep-alive agents shared by every client in this process (pools, not state). */
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  httpsInsecure: new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false }),
};

function once(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const mod = isHttps ? https : http;
    const agent = isHttps ? (req.insecureTls ? agents.httpsInsecure : agents.https) : agents.http;
    const headers: Record<string, string> = { 'User-Agent': 'wasmvisor/0.1', ...req.headers };
    let payload: Uint8Array | Readable | undefined;
    if (req.body instanceof Uint8Array) {
      payload = req.body;
      headers['Content-Length'] = String(req.body.byteLength);
    } else if (req.body) {
      payload = req.body();
    } else if (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH') {
      headers['Content-Length'] = '0';
    }
    const r = mod.request(req.url, { method: req.method, headers, agent }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
    });
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () => r.destroy(Object.assign(new Error(`no answer from ${req.url.host} in time`), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    if (payload instanceof Readable) {
      payload.on('error', (e) => r.destroy(e));
      payload.pipe(r);
    } else {
      r.end(payload);
    }
  });
}

/** Send `req`, following redirects; resolves once the response headers are in. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let cur = req;
  for (let hops = 0; ; hops++) {
    const res = await once(cur);
    const loc = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.status) || !loc || hops >= (req.maxRedirects ?? 5)) return res;
    res.body.resume();
    const next = new URL(loc, cur.url);
    const headers = { ...cur.headers };
    if (next.host !== cur.url.host) delete headers.Authorization;
    const keepBody = res.status === 307 || res.status === 308;
    cur = { ...cur, url: next, headers, method: keepBody ? cur.method : 'GET', body: keepBody ? cur.body : undefined };
  }
}

/** Read a whole response body, refusing more than `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer | undefined> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) {
    res.body.destroy();
    return undefined;
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    n += (chunk as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      return undefined;
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Drain and discard a response body (keeps the connection reusable). */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    for await (const _ of res.body) void _;
  } catch {
    /* the connection is gone; nothing to reuse */
  }
}

/** One header value as a string (first of a list). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
