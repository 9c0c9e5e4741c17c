/**
 * The playground's newer pieces, end to end (wasmvisor serve as a process,
 * the page in headless Chromium): a trap's status, a seccomp profile from
 * the run form (the errno the guest sees, the kill), the service worker's
 * /ports/CTRPORT/ (a fetch from the page answered by wasm/http_server in
 * the page's kernel), and offline: with the server stopped, the page
 * reloads from the service worker's cache and runs hello from the bundled
 * images. The tests run in order: the last one stops the server.
 */
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { openPlayground, runImage, screen, startServe, waitScreen, waitStatus, type Playground, type Served } from './playground_support.js';

const it = itWithTools('chromium');
let served: Served | null = null;
let pg: Playground | null = null;

type Win = { __playground: { serviceWorker: string; ready: boolean; error?: string } };

beforeAll(async () => {
  if (it === vit.skip) return;
  served = await startServe();
  pg = await openPlayground(served.url);
}, 60_000);

afterAll(async () => {
  await pg?.close();
  await served?.stop();
});

describe.sequential('playground: traps, seccomp, /ports/, offline', () => {
  it('says plainly that a trap ended the guest', async () => {
    const { page } = pg!;
    await runImage(page, 'trap');
    expect(await waitStatus(page, /exit status/)).toBe('WebAssembly trap (unreachable) — exit status 134');
    expect(await screen(page)).toBe('ok - mode trap 0');
  }, 60_000);

  it('runs a guest under a seccomp profile from the form: a denied call gets its errno, a kill action ends it with SIGSYS', async () => {
    const { page } = pg!;
    await page.selectOption('#seccomp-preset', 'deny-mkdir');
    expect(JSON.parse(await page.inputValue('#seccomp'))).toEqual({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] });
    await runImage(page, 'probe', { args: 'mkdir:/tmp/d open:/etc/motd echo:end' });
    await waitStatus(page, /exited with status 0/);
    expect(await screen(page)).toBe('mkdir:/tmp/d: error Operation not permitted\nopen:/etc/motd: ok\nend');
    // errnoRet 13 is EACCES
    await page.fill('#seccomp', JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    await runImage(page, 'probe', { args: 'mkdir:/tmp/d open:/etc/motd echo:end' });
    await waitStatus(page, /exited with status 0/);
    expect(await screen(page)).toBe('mkdir:/tmp/d: ok\nopen:/etc/motd: error Permission denied\nend');
    await page.selectOption('#seccomp-preset', 'kill-mkdir');
    await runImage(page, 'probe', { args: 'echo:before mkdir:/tmp/d echo:after' });
    expect(await waitStatus(page, /killed by/)).toMatch(/^killed by SIGSYS — exit status 159/);
    expect(await screen(page)).toBe('before');
    // a profile that is not one: one line, nothing runs
    await page.fill('#seccomp', '{"defaultAction":"SCMP_ACT_NOPE"}');
    await runImage(page, 'probe');
    expect(await waitStatus(page, /cannot run/)).toMatch(/linux\.seccomp: defaultAction: unknown action "SCMP_ACT_NOPE"/);
    await page.selectOption('#seccomp-preset', '');
    expect(await page.inputValue('#seccomp')).toBe('');
  }, 60_000);

  it('answers a fetch of /ports/8080/ from the page with the guest server\'s response, through the service worker', async () => {
    const { page } = pg!;
    // no seccomp profile left over from the test before (one that denies openat makes every file a 404)
    await page.selectOption('#seccomp-preset', '');
    await page.fill('#seccomp', '');
    await page.waitForFunction(() => /^(ready|failed|unsupported)/.test((window as unknown as Win).__playground.serviceWorker), null, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as Win).__playground.serviceWorker)).toBe('ready');
    await runImage(page, 'http');
    expect(await page.inputValue('#ports')).toBe('8080');
    await waitStatus(page, /^running .*http/);
    const get = (path: string, init?: RequestInit) => page.evaluate(async ([p, i]) => {
      const r = await fetch(p as string, i as RequestInit | undefined);
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    }, [path, init] as const);
    // the guest accepts once it runs: poll until it answers
    await expect.poll(async () => (await get('/ports/8080/')).status, { timeout: 20_000 }).toBe(200);
    const index = await get('/ports/8080/');
    expect(index).toEqual({ status: 200, type: 'text/html', body: '<!doctype html><title>wasmvisor</title><h1>Served by wasm/http_server in the playground\'s kernel</h1>\n' });
    const motd = await get('/ports/8080/index.html?x=1');
    expect(motd.body).toContain('Served by wasm/http_server');
    expect((await get('/ports/8080/nothing-here')).status).toBe(404);
    // several at once: each gets its own connection
    const many = await page.evaluate(() => Promise.all(Array.from({ length: 8 }, () => fetch('/ports/8080/').then((r) => r.text()))));
    expect(new Set(many).size).toBe(1);
    expect(many[0]).toContain('Served by wasm/http_server');
    const other = await get('/ports/9999/');
    expect(other.status).toBe(502);
    expect(other.body).toBe('no container of this page publishes port 9999 (published: 8080)\n');
    // the syscall table saw the guest accept the connections
    await page.click('.tabs button[data-tab="trace"]');
    await page.fill('#trace-filter', 'sock_accept');
    await page.waitForFunction(() => document.querySelectorAll('#trace tbody tr').length > 0, null, { timeout: 10_000 });
    await page.click('#kill');
    await waitStatus(page, /killed by SIGKILL/);
    // the container is gone: so are its ports
    const gone = await get('/ports/8080/');
    expect(gone.status).toBe(502);
  }, 60_000);

  it('reloads and runs hello from the bundled images with the server stopped (offline)', async () => {
    const { page } = pg!;
    expect(await page.evaluate(() => (window as unknown as Win).__playground.serviceWorker)).toBe('ready');
    await served!.stop();
    expect(await fetch(served!.url).then(() => 'reachable', () => 'down')).toBe('down');
    await page.goto(`${served!.url}?run=hello`);
    await page.waitForFunction(() => (window as unknown as Win).__playground?.ready || (window as unknown as Win).__playground?.error, null, { timeout: 30_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await waitStatus(page, /exited with status 0/);
    expect(await waitScreen(page, /hello/)).toBe('hello from wasmvisor\narg 1: from\narg 2: the playground');
  }, 60_000);
});
