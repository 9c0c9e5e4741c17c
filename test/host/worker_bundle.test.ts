// `npm run build` bundles each worker entry into one CommonJS file (NAME.cjs); workers start from the
// bundle when it is at least as new as the entry, and from the modules otherwise.
import { existsSync, utimesSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_WORKER, SENTRY_WORKER, packageRoot, workerScript } from '../../src/host/node_workers.js';

describe('worker bundles', () => {
  const root = packageRoot();
  for (const rel of [APP_WORKER, SENTRY_WORKER]) {
    it(`${rel} has a bundle from the build, and workers use it while it is fresh`, () => {
      const bundle = join(root, 'dist', 'bundle', rel.split('/').pop()!.replace(/\.js$/, '.cjs'));
      expect(existsSync(bundle), `${bundle}: run npm run build (it bundles the workers)`).toBe(true);
      const entry = join(root, 'dist', rel);
      // the build writes the bundle after the entry; a later tsc-only build makes it stale
      const fresh = statSync(bundle).mtimeMs >= statSync(entry).mtimeMs;
      expect(workerScript(rel)).toBe(fresh ? bundle : entry);
    });
  }

  it('a stale bundle is not used', () => {
    const rel = APP_WORKER;
    const bundle = join(root, 'dist', 'bundle', 'app_worker.cjs');
    const entry = join(root, 'dist', rel);
    const st = statSync(bundle);
    try {
      const old = new Date(statSync(entry).mtimeMs - 60_000);
      utimesSync(bundle, old, old);
      expect(workerScript(rel)).toBe(entry);
    } finally {
      utimesSync(bundle, st.atime, st.mtime);
    }
  });
});
