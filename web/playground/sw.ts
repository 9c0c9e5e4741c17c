/**
 * The playground's service worker (built to `sw.js`, a fixed name; the
 * build writes its file list and version in). Two jobs:
 *
 * - Offline and fast: on install it caches the page, its scripts and the
 *   sample images (one cache per build); afterwards they come from that
 *   cache (the page's navigation included, its query ignored), so the page
 *   loads and runs the samples with the server gone. A new build changes
 *   this script, which installs the new cache and drops the old one; the
 *   page then loads the new build on its next load. `api/` (serve's pull
 *   proxy) always goes to the network.
 * - `/ports/CTRPORT/…`: a fetch there is handed to the page that runs the
 *   container (the requesting page first, else each open playground page)
 *   and answered with what the guest's server answered (ports.ts). No page
 *   publishing that port: 502, with the reason as the body.
 */

/** Set by web/build.mjs: the build's files (relative to the scope) and its version. */
declare const PRECACHE: string[];
declare const VERSION: string;

// the service worker's globals, declared here (the page's tsconfig has the DOM lib, not WebWorker)
interface FetchEventLike extends Event {
  request: Request;
  clientId: string;
  resultingClientId?: string;
  respondWith(r: Promise<Response> | Response): void;
  waitUntil(p: Promise<unknown>): void;
}
interface ClientLike { id: string; postMessage(m: unknown, transfer: Transferable[]): void }
/** Chromium's static routing (ServiceWorker Static Routing API): requests a route covers never wake this script. */
interface RouterRule { condition: Record<string, unknown>; source: string | { cacheName: string } }
interface InstallEventLike extends Event { waitUntil(p: Promise<unknown>): void; addRoutes?(rules: RouterRule[]): Promise<void> }
interface SwScope {
  registration: { scope: string };
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void>; get(id: string): Promise<ClientLike | undefined>; matchAll(o: { type: 'window' }): Promise<ClientLike[]> };
  addEventListener(type: 'install' | 'activate', fn: (e: InstallEventLike) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEventLike) => void): void;
}
declare const URLPattern: new (init: { pathname: string }) => unknown;
const sw = self as unknown as SwScope;

const CACHE = `wasmvisor-playground-${VERSION}`;
const scope = new URL(sw.registration.scope);
/** How long a page may take to answer a /ports/ request (the guest's server included). */
const PORT_TIMEOUT_MS = 35_000;

const ISOLATION = { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin', 'Cross-Origin-Opener-Policy': 'same-origin' };

sw.addEventListener('install', (e) => {
  e.waitUntil((async () => {
    // where the browser can route by itself, the build's files come straight from the cache, without this
    // script (it stays asleep); /ports/ and navigations (whose query the cache lookup must ignore) come here
    if (e.addRoutes) {
      const base = scope.pathname;
      await e.addRoutes([
        { condition: { urlPattern: new URLPattern({ pathname: `${base}ports/*` }) }, source: 'fetch-event' },
        { condition: { urlPattern: new URLPattern({ pathname: `${base}api/*` }) }, source: 'network' },
        { condition: { requestMode: 'navigate' }, source: 'fetch-event' },
        { condition: { urlPattern: new URLPattern({ pathname: `${base}*` }) }, source: { cacheName: CACHE } },
      ]).catch(() => {});
    }
    const cache = await caches.open(CACHE);
    // the build's files only: a response that is not 200 fails the install (no half cache)
    await cache.addAll(PRECACHE.map((p) => new Request(new URL(p, scope).href, { cache: 'reload' })));
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('wasmvisor-playground-') && k !== CACHE) await caches.delete(k);
    await sw.clients.claim();
  })());
});

sw.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const rel = url.pathname.slice(scope.pathname.length);
  if (/^ports\/\d+(\/|$)/.test(rel)) {
    e.respondWith(toPort(e, rel, url.search));
    return;
  }
  if (e.request.method !== 'GET' || rel.startsWith('api/')) return;
  e.respondWith(fromCache(e.request, rel));
});

/** The build's copy of a file (the page for a navigation, whatever its query), else the network. */
async function fromCache(req: Request, rel: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  const key = req.mode === 'navigate' || rel === '' || rel === 'index.html' ? new URL('./', scope).href : req;
  const hit = await cache.match(key, { ignoreSearch: req.mode === 'navigate' });
  return hit ?? fetch(req);
}

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { ...ISOLATION, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } });
}

/** Ask `client` to answer the request; null when it does not publish the port (or does not answer). */
function ask(client: ClientLike, msg: Record<string, unknown>, transfer: Transferable[]): Promise<{ ok: boolean; status: number; statusText?: string; headers?: [string, string][]; body?: Uint8Array; message?: string } | null> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    const t = setTimeout(() => resolve(null), PORT_TIMEOUT_MS);
    ch.port1.onmessage = (m) => {
      clearTimeout(t);
      resolve(m.data);
    };
    client.postMessage(msg, [ch.port2, ...transfer]);
  });
}

async function toPort(e: FetchEventLike, rel: string, search: string): Promise<Response> {
  const m = /^ports\/(\d+)(\/.*)?$/.exec(rel)!;
  const port = Number(m[1]);
  const req = e.request;
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : new Uint8Array(await req.arrayBuffer());
  const msg = { t: 'wasmvisor-port', port, method: req.method, path: `${m[2] ?? '/'}${search}`, headers: [...req.headers], body };
  // the page that fetched first (a frame of the preview has no kernel: then every open page)
  const first = e.clientId ? await sw.clients.get(e.clientId) : undefined;
  const others = (await sw.clients.matchAll({ type: 'window' })).filter((c) => c.id !== first?.id);
  let why = `no open playground page publishes port ${port}`;
  for (const c of first ? [first, ...others] : others) {
    const a = await ask(c, msg, []);
    if (a === null) continue;
    if (a.ok) {
      const none = req.method === 'HEAD' || [204, 205, 304].includes(a.status);
      try {
        return new Response(none ? null : (a.body as Uint8Array<ArrayBuffer>), { status: a.status, statusText: a.statusText, headers: [...(a.headers ?? []), ...Object.entries(ISOLATION)] });
      } catch (err) {
        return text(502, `the guest's answer cannot be passed on: ${(err as Error).message}`);
      }
    }
    why = a.message ?? why;
    if (a.status !== 502 || !why.startsWith('no container')) return text(a.status, why);
  }
  return text(502, why);
}
