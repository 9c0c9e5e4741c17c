/**
 * The playground, end to end: the built CLI's `wasmvisor serve` as a
 * process, the page in headless Chromium, driven as a user does. Each test
 * runs one of the bundled samples and reads what the page shows: the
 * terminal, the status line, the exec output, the panels.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it as vit } from 'vitest';
import { itWithTools } from '../support/tools.js';
import { root } from './serve.js';
import { openPlayground, runImage, screen, startServe, waitScreen, waitStatus, type Playground, type Served } from './playground_support.js';

const it = itWithTools('chromium');
let served: Served | null = null;
let pg: Playground | null = null;

beforeAll(async () => {
  if (it === vit.skip) return;
  served = await startServe();
  pg = await openPlayground(served.url);
}, 60_000);

afterAll(async () => {
  await pg?.close();
  await served?.stop();
});

describe('playground (wasmvisor serve + Chromium)', () => {
  it('serves the page cross-origin isolated', async () => {
    const res = await fetch(served!.url);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await pg!.page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  it('runs hello and shows its output in the terminal, from the bundled image alone (no request leaves the server)', async () => {
    const { page } = pg!;
    const origins = new Set<string>();
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    await runImage(page, 'hello', { args: 'one "two words"' });
    await waitStatus(page, /exited with status 0/);
    expect(await screen(page)).toBe('hello from wasmvisor\narg 1: one\narg 2: two words');
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __playground?: { ready: boolean } }).__playground?.ready, null, { timeout: 30_000 });
    expect([...origins].filter((o) => o !== new URL(served!.url).origin && o !== 'null')).toEqual([]);
  }, 60_000);

  it('sends keystrokes to an interactive guest, which echoes and edits the line itself', async () => {
    const { page } = pg!;
    await runImage(page, 'readline');
    await waitScreen(page, /^> $/m);
    await page.click('#terminal');
    await page.keyboard.type('helx');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('lo world');
    await page.keyboard.press('Enter');
    const s = await waitScreen(page, /you said: hello world/);
    expect(s).toContain('> hello world\nyou said: hello world\n> ');
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitStatus(page, /exited with status 0/);
  }, 60_000);

  it('shows the OOM status when the memory limit is hit', async () => {
    const { page } = pg!;
    await runImage(page, 'memhog', { memory: 16 });
    const status = await waitStatus(page, /OOM-killed/, 30_000);
    expect(status).toMatch(/OOM-killed: memory\.max \(16 MiB\) exceeded — exit status 137/);
    expect(await screen(page)).toMatch(/wrote 1[0-5] MiB/);
  }, 60_000);

  it('kills a busy loop with TERM', async () => {
    const { page } = pg!;
    await runImage(page, 'spin', { memory: 64 });
    await waitScreen(page, /spinning/);
    await page.waitForTimeout(300);
    expect(await page.textContent('#status')).toMatch(/^running/);
    await page.click('#term');
    expect(await waitStatus(page, /killed by SIGTERM/)).toMatch(/exit status 143/);
  }, 60_000);

  it('caps a busy loop at half a CPU and charts its cpu.stat', async () => {
    const { page } = pg!;
    await runImage(page, 'spin', { memory: 64, cpus: 0.5 });
    await waitScreen(page, /spinning/);
    await page.waitForFunction(() => /throttled [1-9]\d*\//.test(document.getElementById('cpu-now')!.textContent ?? ''), null, { timeout: 20_000 });
    expect(await page.textContent('#cpu-now')).toMatch(/cpu\.max 50000 100000/);
    await page.click('#kill');
    await waitStatus(page, /killed by SIGKILL/);
    await page.fill('#cpus', '');
  }, 60_000);

  it('pauses and resumes a ticking program', async () => {
    const { page } = pg!;
    await runImage(page, 'ticker');
    await waitScreen(page, /tick 3/);
    await page.click('#pause');
    await waitStatus(page, /paused/);
    const ticks = async () => ((await screen(page)).match(/tick \d+/g) ?? []).length;
    await page.waitForTimeout(300);
    const atPause = await ticks();
    await page.waitForTimeout(1000);
    expect(await ticks()).toBe(atPause);
    await page.click('#resume');
    await waitScreen(page, new RegExp(`tick ${atPause + 3}`));
    await page.click('#kill');
    expect(await waitStatus(page, /killed by SIGKILL/)).toMatch(/exit status 137/);
  }, 60_000);

  it('execs a second process in the running container, and its file goes in by drag and drop', async () => {
    const { page } = pg!;
    await runImage(page, 'ticker');
    await waitScreen(page, /tick 1/);
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['dropped into the container\n'], 'note.txt', { type: 'text/plain' }));
      return d;
    });
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
    await waitStatus(page, /wrote \/tmp\/note\.txt \(27 bytes\)/);
    await page.fill('#exec-args', '/bin/cat /tmp/note.txt /etc/motd');
    await page.click('#exec');
    await page.waitForFunction(() => /exited with status 0/.test(document.getElementById('exec-out')!.textContent ?? ''), null, { timeout: 20_000 });
    const out = (await page.textContent('#exec-out')) ?? '';
    expect(out).toMatch(/\(pid 2\)/);
    expect(out).toContain('dropped into the container\nThis is the ticker sample');
    // the filesystem panel shows the dropped file in the upper, as added
    await page.click('.tabs button[data-tab="fs"]');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#tree tr')).some((r) => r.textContent?.startsWith('/tmp/note.txt')), null, { timeout: 10_000 });
    const row = await page.evaluate(() => Array.from(document.querySelectorAll('#tree tr')).find((r) => r.textContent?.startsWith('/tmp/note.txt'))!.textContent);
    expect(row).toBe('/tmp/note.txt27upperA');
    const motd = await page.evaluate(() => Array.from(document.querySelectorAll('#tree tr')).find((r) => r.textContent?.startsWith('/etc/motd'))?.textContent);
    expect(motd).toMatch(/^\/etc\/motd\d+L0$/);
    const hello = await page.evaluate(() => Array.from(document.querySelectorAll('#tree tr')).find((r) => r.textContent?.startsWith('/bin/hello'))?.textContent);
    expect(hello).toMatch(/^\/bin\/hello\d+L1$/);
    // the syscall table saw the exec'd cat open the file
    await page.click('.tabs button[data-tab="trace"]');
    await page.fill('#trace-filter', 'note.txt');
    await page.waitForFunction(() => document.querySelectorAll('#trace tbody tr').length > 0, null, { timeout: 10_000 });
    expect(await page.textContent('#trace tbody')).toContain('path_open');
    await page.click('#kill');
    await waitStatus(page, /killed by SIGKILL/);
  }, 60_000);

  it('downloads a file of the container, and its upper layer as a tar with the guest\'s changes', async () => {
    const { page } = pg!;
    await runImage(page, 'memhog', { args: '1 file' });
    await waitStatus(page, /exited with status 0/);
    await page.fill('#getpath', '/etc/motd');
    const [motd] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(motd.suggestedFilename()).toBe('motd');
    expect(readFileSync(await motd.path())).toEqual(Buffer.from('This is the memhog sample of the wasmvisor playground: it writes MiB after MiB into /tmp (charged to its memory cgroup) until the OOM killer ends it.\n'));
    const [upper] = await Promise.all([page.waitForEvent('download'), page.click('#uppertar')]);
    expect(upper.suggestedFilename()).toMatch(/-upper\.tar$/);
    const tar = readFileSync(await upper.path());
    // walk the ustar headers: names and sizes
    const entries = new Map<string, number>();
    for (let off = 0; off + 512 <= tar.length;) {
      const h = tar.subarray(off, off + 512);
      if (h.every((b) => b === 0)) break;
      const name = h.subarray(0, 100).toString().replace(/\0.*$/s, '');
      const size = parseInt(h.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
      entries.set(name, size);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    expect(entries.get('tmp/hog')).toBe(1 << 20);
    expect([...entries.keys()]).not.toContain('bin/memhog');
  }, 60_000);

  it('takes a screenshot of the playground (kept under test/browser/artifacts/)', async () => {
    const { page } = pg!;
    await runImage(page, 'readline');
    await waitScreen(page, /^> $/m);
    await page.click('#terminal');
    await page.keyboard.type('hello playground');
    await page.keyboard.press('Enter');
    await waitScreen(page, /you said/);
    await page.click('.tabs button[data-tab="trace"]');
    await page.fill('#trace-filter', '');
    await page.waitForTimeout(600);
    const dir = join(root, 'test/browser/artifacts');
    mkdirSync(dir, { recursive: true });
    const png = await page.screenshot({ path: join(dir, 'playground.png') });
    expect(png.byteLength).toBeGreaterThan(10_000);
  }, 60_000);
});
