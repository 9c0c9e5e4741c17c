/**
 * Platform choice for multi-platform images. wasmvisor runs WebAssembly, so
 * the default is `wasip1/wasm`, then `wasi/wasm` (the older spelling);
 * `--platform os/arch[/variant]` replaces that list with one entry.
 */
import type { Descriptor, Platform } from '../content/manifest.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link PlatformError}. */
export type PlatformErrorCode = 'PLATFORM_INVALID' | 'PLATFORM_NOT_FOUND';

/** No manifest fits the wanted platforms, or a `--platform` value does not parse. */
export class PlatformError extends CodedError<PlatformErrorCode> {
  override readonly name = 'PlatformError';
}

/** The platforms tried when none is given, in order. */
export const DEFAULT_PLATFORMS: readonly Platform[] = [
  { os: 'wasip1', architecture: 'wasm' },
  { os: 'wasi', architecture: 'wasm' },
];

/** Parse `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9._-]+$/.test(p))) {
    throw new PlatformError('PLATFORM_INVALID', `invalid platform ${JSON.stringify(s)}: expected os/arch[/variant], e.g. wasip1/wasm`);
  }
  const [os, architecture, variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `os/arch[/variant]` for messages and labels. */
export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** True if `have` satisfies `want` (a variant is compared only when `want` names one). */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return !want.variant || have.variant === want.variant;
}

/**
 * The first manifest of `manifests` matching the first platform of `wanted`
 * that any matches. Throws PLATFORM_NOT_FOUND listing what is available.
 */
export function choosePlatform(manifests: readonly Descriptor[], wanted: readonly Platform[], what: string): Descriptor {
  for (const w of wanted) {
    const hit = manifests.find((m) => platformMatches(w, m.platform));
    if (hit) return hit;
  }
  const available = [...new Set(manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform)))];
  throw new PlatformError(
    'PLATFORM_NOT_FOUND',
    `${what} has no manifest for ${wanted.map(formatPlatform).join(' or ')}; available: ${available.length ? available.join(', ') : 'none'} (choose one with --platform)`,
  );
}
