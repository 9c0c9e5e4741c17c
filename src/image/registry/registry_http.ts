/**
 * The HTTP transport of the registry client, on node:http/node:https with
 * keep-alive agents: one request, redirects followed under
 * {@link redirectPolicy} (never from https to plain http unless the registry
 * is insecure; Authorization dropped on any change of scheme, host or port,
 * as blob redirects to object stores need), an optional overall deadline,
 * the response body left as a stream for the caller. `HTTP_PROXY`,
 * `HTTPS_PROXY` (a CONNECT tunnel) and `NO_PROXY` are honoured. Retries and auth live in
 * registry.ts; this file only moves bytes.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
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
  /** Give up, body included, at this time (ms since the epoch): an `EDEADLINE` error. */
  deadline?: number;
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

/** True for `localhost` and loopback addresses, which are never proxied (as Go's ProxyFromEnvironment does). */
function loopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * The proxy for `url` from the environment: `HTTPS_PROXY` for https,
 * `HTTP_PROXY` for http (either case), unless `NO_PROXY` lists the host
 * (exact, a domain suffix, or `*`); loopback hosts are never proxied.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  if (loopbackHost(url.hostname)) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  const host = url.hostname.toLowerCase();
  for (const e of noProxy) {
    const entry = e.replace(/:\d+$/, '');
    if (entry === '*' || host === entry.replace(/^\./, '') || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`)) return undefined;
  }
  const p = url.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!p) return undefined;
  return new URL(p.includes('://') ? p : `http://${p}`);
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(creds).toString('base64')}` };
}

/** Open a TLS connection to `url`'s host through an HTTP CONNECT tunnel at `proxy`. */
function tunnel(proxy: URL, url: URL, insecureTls: boolean | undefined): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const port = url.port || '443';
    const c = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${url.hostname}:${port}`,
      headers: { Host: `${url.hostname}:${port}`, ...proxyAuth(proxy) },
    });
    c.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(Object.assign(new Error(`proxy ${proxy.host} refused to connect to ${url.host}: ${res.statusCode}`), { code: 'EPROXY' }));
        return;
      }
      const t = tls.connect({ socket, servername: url.hostname, rejectUnauthorized: !insecureTls });
      t.once('secureConnect', () => resolve(t));
      t.once('error', reject);
    });
    c.once('error', reject);
    c.end();
  });
}

async function once(req: HttpRequest): Promise<HttpResponse> {
  const proxy = proxyFor(req.url);
  const tunnelled = proxy && req.url.protocol === 'https:' ? await tunnel(proxy, req.url, req.insecureTls) : undefined;
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
    let timer: NodeJS.Timeout | undefined;
    let response: http.IncomingMessage | undefined;
    const onResponse = (res: http.IncomingMessage): void => {
      response = res;
      if (timer) res.once('close', () => clearTimeout(timer));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
    };
    let r: http.ClientRequest;
    if (tunnelled) {
      // no agent: the request then uses createConnection (one tunnel per request)
      r = https.request(req.url, { method: req.method, headers, createConnection: () => tunnelled }, onResponse);
    } else if (proxy) {
      // plain HTTP through a proxy: absolute-form request line
      r = http.request(
        { host: proxy.hostname, port: proxy.port || 80, method: req.method, path: req.url.href, headers: { ...headers, Host: req.url.host, ...proxyAuth(proxy) }, agent },
        onResponse,
      );
    } else {
      r = mod.request(req.url, { method: req.method, headers, agent }, onResponse);
    }
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () => {
      const e = Object.assign(new Error(`no answer from ${req.url.host} in time`), { code: 'ETIMEDOUT' });
      // once the headers are in, the body's reader gets the timeout itself (not a bare 'aborted')
      response?.destroy(e);
      r.destroy(e);
    });
    if (req.deadline !== undefined) {
      const ms = req.deadline - Date.now();
      // the whole exchange, body included: a server that trickles bytes never trips the idle timeout
      timer = setTimeout(() => {
        const e = Object.assign(new Error(`no complete answer to ${req.method} ${req.url.pathname} within the deadline`), { code: 'EDEADLINE' });
        r.destroy(e);
        response?.destroy(e);
      }, Math.max(0, ms));
      timer.unref();
      r.once('close', () => { if (!response) clearTimeout(timer); });
    }
    r.on('error', reject);
    if (payload instanceof Readable) {
      payload.on('error', (e) => r.destroy(e));
      payload.pipe(r);
    } else {
      r.end(payload);
    }
  });
}

/** The port `u` connects to (the scheme's default when none is written). */
function portOf(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
}

/** What to do with a redirect: follow it or not, and whether credentials may go along. */
export interface RedirectDecision {
  follow: boolean;
  /** Keep the Authorization header (same scheme, host and port only). */
  keepAuth: boolean;
  /** Why it is refused, when it is. */
  refusal?: string;
}

/**
 * The redirect policy: only http(s) targets; never from https to plain
 * http unless `insecure` (the registry was configured or flagged so); and
 * credentials go along only to the very same scheme, host and port, so a
 * downgrade, even an allowed one, never carries them in clear.
 */
export function redirectPolicy(from: URL, to: URL, insecure: boolean): RedirectDecision {
  if (to.protocol !== 'https:' && to.protocol !== 'http:') {
    return { follow: false, keepAuth: false, refusal: `a redirect to ${to.protocol} is not followed` };
  }
  if (from.protocol === 'https:' && to.protocol === 'http:' && !insecure) {
    return {
      follow: false,
      keepAuth: false,
      refusal: `redirected from https to plain http (${to.host}); refusing to downgrade a TLS-verified registry (the request and its credentials would travel in clear)`,
    };
  }
  const same = from.protocol === to.protocol && from.hostname.toLowerCase() === to.hostname.toLowerCase() && portOf(from) === portOf(to);
  return { follow: true, keepAuth: same };
}

/** Send `req`, following redirects under {@link redirectPolicy}; resolves once the response headers are in. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  let cur = req;
  for (let hops = 0; ; hops++) {
    const res = await once(cur);
    const loc = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.status) || !loc || hops >= (req.maxRedirects ?? 5)) return res;
    res.body.resume();
    const next = new URL(loc, cur.url);
    const policy = redirectPolicy(cur.url, next, req.insecureTls === true);
    if (!policy.follow) {
      throw Object.assign(new Error(`${cur.url.host} ${policy.refusal}`), { code: 'EREDIRECT' });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(cur.headers ?? {})) {
      if (policy.keepAuth || k.toLowerCase() !== 'authorization') headers[k] = v;
    }
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
