/**
 * The package's own version, read from its package.json (found by walking
 * up from this file, so it holds in dist/, in a bundle and in an installed
 * copy alike), for `--version`, `version` and `info`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version in wasmvisor's package.json ("0.0.0" if none is found). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wasmvisor' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      /* not here: go up */
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0');
}

/** The `OS/ARCH` podman prints: Go's names for Node's (x64 → amd64). */
export function osArch(): string {
  const arch = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}/${arch}`;
}
