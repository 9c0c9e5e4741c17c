/**
 * `images --filter KEY=VALUE`, podman's keys that a Wasm image store has:
 * `dangling=true|false` (no tag), `reference=PATTERN` (a name, repository
 * or name:tag; `*` matches any run of characters, `/` included), `id=PREFIX`.
 * The same key given twice matches either; different keys must all match.
 */
import type { ImageSummary } from '../../image/content/manifest_inspect.js';
import { parseReference } from '../../image/reference/reference.js';
import { CliExit, ExitCode } from '../exit.js';

/** The filter keys `images --filter` knows. */
export const IMAGE_FILTER_KEYS = ['dangling', 'reference', 'id'] as const;

/** True if `filter` (no wildcard) names the repository or the image (short forms normalised as references are). */
export function matchesName(name: string, repository: string, filter: string): boolean {
  if (name === filter || repository === filter) return true;
  try {
    const ref = parseReference(filter);
    return filter.includes(':') || filter.includes('@') ? name === ref.toString() : repository === ref.name;
  } catch {
    return false;
  }
}

/** `reference=PATTERN`: a glob (`*`) over the whole name, the repository, or the name without docker.io/library/ or localhost/. */
function referenceTest(pattern: string): (r: ImageSummary) => boolean {
  if (!pattern.includes('*')) return (r) => matchesName(r.name, r.repository, pattern);
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const short = (s: string) => s.replace(/^docker\.io\/library\//, '').replace(/^(docker\.io|localhost)\//, '');
  return (r) => [r.name, r.repository, short(r.name), short(r.repository)].some((s) => re.test(s));
}

/** One `KEY=VALUE` as a test; 125 naming the keys for anything else. */
function predicate(filter: string): { key: string; test: (r: ImageSummary) => boolean } {
  const eq = filter.indexOf('=');
  const key = eq < 0 ? filter : filter.slice(0, eq);
  const value = eq < 0 ? '' : filter.slice(eq + 1);
  const bad = (why: string) => new CliExit(ExitCode.RUNTIME, `invalid filter ${JSON.stringify(filter)}: ${why}`);
  if (eq < 0 || value === '') throw bad(`give KEY=VALUE, KEY one of ${IMAGE_FILTER_KEYS.join(', ')}`);
  switch (key) {
    case 'dangling':
      if (value !== 'true' && value !== 'false') throw bad('dangling takes true or false');
      return { key, test: (r) => (r.tag === '<none>') === (value === 'true') };
    case 'reference':
      return { key, test: referenceTest(value) };
    case 'id':
      return { key, test: (r) => r.id.slice(7).startsWith(value.replace(/^sha256:/, '')) };
    default:
      throw bad(`${JSON.stringify(key)} is not a filter; use ${IMAGE_FILTER_KEYS.join(', ')} (KEY=VALUE)`);
  }
}

/** The images `filters` select (same key: any; different keys: all); 125 for a bad filter. */
export function filterImages(rows: readonly ImageSummary[], filters: readonly string[]): ImageSummary[] {
  const byKey = new Map<string, Array<(r: ImageSummary) => boolean>>();
  for (const f of filters) {
    const p = predicate(f);
    byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.test]);
  }
  return rows.filter((r) => [...byKey.values()].every((tests) => tests.some((t) => t(r))));
}
