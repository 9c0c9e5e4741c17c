/**
 * Helpers of the playground tests: start the built CLI's `wasmvisor serve`
 * as a process (its own temp store), open the page in headless Chromium
 * (launchChromium, Debian's /usr/bin/chromium), and drive it as a user
 * does: pick an image, set fields, press buttons, read the terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, root } from './serve.js';

/** A running `wasmvisor serve`. */
export interface Served {
  url: string;
  proc: ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Run the built CLI with `args` to the end: its exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Start `wasmvisor --root TMP serve --port 0 …extra` and wait for the URL it prints. */
export async function startServe(extra: string[] = []): Promise<Served> {
  const store = mkdtempSync(join(tmpdir(), 'wv-serve-'));
  const proc = spawn(process.execPath, [join(root, 'bin/wasmvisor.js'), '--root', store, 'serve', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve printed no URL in 30 s: ${out} ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
  return {
    url, proc, stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}

/** The playground open in a fresh Chromium. */
export interface Playground {
  page: Page;
  logs: string[];
  close(): Promise<void>;
}

/** Open the page at `url` (+ `query`) and wait until it is ready. */
export async function openPlayground(url: string, query = ''): Promise<Playground> {
  const chromium = await launchChromium();
  const page = await chromium.browser.newPage();
  await page.setViewportSize({ width: 1500, height: 900 });
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(url + query);
  await page.waitForFunction(() => {
    const s = (window as unknown as { __playground?: { ready: boolean; error?: string } }).__playground;
    return s?.ready || s?.error;
  }, null, { timeout: 30_000 });
  const err = await page.evaluate(() => (window as unknown as { __playground: { error?: string } }).__playground.error);
  if (err) throw new Error(`the playground failed: ${err}\n${logs.join('\n')}`);
  return { page, logs, close: () => chromium.close() };
}

/** Pick image `name` (the sample's short name or a full one), fill the fields given, press Run. */
export async function runImage(page: Page, name: string, f: { args?: string; env?: string; memory?: number; pids?: number; cpus?: number } = {}): Promise<void> {
  const value = await page.evaluate((n) => {
    const opts = Array.from((document.getElementById('sample') as HTMLSelectElement).options);
    return opts.find((o) => o.value === n || o.value.endsWith(`/${n}:latest`))?.value;
  }, name);
  if (!value) throw new Error(`no image ${name} in the list`);
  await page.selectOption('#sample', value);
  if (f.args !== undefined) await page.fill('#args', f.args);
  if (f.env !== undefined) await page.fill('#env', f.env);
  if (f.memory !== undefined) await page.fill('#memory', String(f.memory));
  if (f.pids !== undefined) await page.fill('#pids', String(f.pids));
  if (f.cpus !== undefined) await page.fill('#cpus', String(f.cpus));
  // the previous run's status is cleared first, so that a waitStatus after this cannot match it before the new run
  // has even set its "starting" line (a second run of one sample ended in the same words)
  await page.evaluate(() => { document.getElementById('status')!.textContent = ''; });
  await page.click('#start');
}

/** The terminal's text, as xterm holds it. */
export function screen(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { __playground: { screen(): string } }).__playground.screen());
}

/** Wait until the terminal's text matches `re`; returns it. */
export async function waitScreen(page: Page, re: RegExp, timeout = 20_000): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src).test((window as unknown as { __playground: { screen(): string } }).__playground.screen()), re.source, { timeout })
    .catch(async (e: Error) => { throw new Error(`${e.message}\nterminal: ${await screen(page)}`); });
  return screen(page);
}

/** Wait until the status line matches `re`; returns it. */
export async function waitStatus(page: Page, re: RegExp, timeout = 20_000): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), re.source, { timeout })
    .catch(async (e: Error) => { throw new Error(`${e.message}\nstatus: ${await page.textContent('#status')}`); });
  return (await page.textContent('#status')) ?? '';
}
