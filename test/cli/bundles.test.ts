/**
 * The single-file bundles that `npm run build` makes (src/cli/bundle.mjs)
 * for memory as well as start-up: each is plain ASCII (a non-ASCII
 * character anywhere, even in a comment, makes V8 keep the whole source as
 * a two-byte string for the life of the process), and the worker bundles
 * are CommonJS, which node_workers.ts picks (a worker loading an ES module
 * also loads Node's ES module loader).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_WORKER, SENTRY_WORKER, workerScript } from '../../src/host/node_workers.js';

const BUNDLES = join(import.meta.dirname, '../../dist/bundle');

describe('dist/bundle', () => {
  it('every bundle is plain ASCII', () => {
    const files = readdirSync(BUNDLES).filter((f) => f.endsWith('.cjs') || f.endsWith('.js'));
    expect(files).toContain('sandbox_main.cjs');
    for (const f of files) {
      const text = readFileSync(join(BUNDLES, f), 'latin1');
      const at = text.search(/[^\x00-\x7f]/);
      expect(at, `${f}: a non-ASCII byte at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`).toBe(-1);
    }
  });

  it('the app and Sentry workers run their CommonJS bundles', () => {
    expect(workerScript(APP_WORKER)).toBe(join(BUNDLES, 'app_worker.cjs'));
    expect(workerScript(SENTRY_WORKER)).toBe(join(BUNDLES, 'sentry_worker.cjs'));
  });
});
