/**
 * External tools for tests. A test that needs a tool that is absent says so
 * loudly and is skipped, unless `CI` is set, where a missing tool fails.
 */
import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

/** Absolute path of `name` on PATH, or null. */
export function which(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Returns `it` when every tool is present; otherwise `it.skip` after a loud
 * warning, or, under CI, an `it` that fails naming the missing tools. Typed
 * as `it.skip` (callable, with .each, .only...), which both `it` and `it.skip` are.
 */
export function itWithTools(...tools: string[]): typeof it.skip {
  const missing = tools.filter((t) => which(t) === null);
  if (missing.length === 0) return it;
  const msg = `missing tool(s): ${missing.join(', ')} (install them; .ci/run does)`;
  if (process.env.CI) {
    return ((name: string) => it(name, () => { throw new Error(msg); })) as unknown as typeof it.skip;
  }
  process.stderr.write(`\n*** SKIPPING tests: ${msg}\n`);
  return it.skip;
}
