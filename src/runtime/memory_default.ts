/**
 * The memory budget of a container that was given none (`-m`,
 * `linux.resources.memory.limit`): the same on every platform (inline
 * `runWasm`, the sentry platform, `Runtime`, `wasmvisor-runc`). It caps the
 * guest's linear memory and every in-memory file of the container together.
 *
 * Default: half the host's RAM (as Linux sizes tmpfs), at most
 * `MEMORY_DEFAULT_CAP` (2 GiB) per container, so that one container of a
 * shared Sentry cannot take the host even on a large machine. The
 * environment variable `WASMVISOR_MEMORY_DEFAULT` (a size: `64m`, `1g`, or
 * bytes) can only lower it (tests, small hosts); it never raises it.
 * Isomorphic: the host RAM is read with `node:os` where it exists, else
 * `navigator.deviceMemory`, else assumed to be 4 GiB.
 */

/** Highest default budget of one container, whatever the host RAM (2 GiB). */
export const MEMORY_DEFAULT_CAP = 2 * 1024 ** 3;

/** Host RAM assumed when it cannot be read (a browser without `navigator.deviceMemory`). */
const UNKNOWN_HOST_RAM = 4 * 1024 ** 3;

const PAGE = 65536;

/** Parse a size like "64m", "1g", "4096"; NaN if malformed. */
function parseEnvSize(s: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
}

/**
 * The default memory budget in bytes for a host with `hostRam` bytes of
 * RAM (undefined: unknown): min(hostRam / 2, 2 GiB), lowered by
 * `WASMVISOR_MEMORY_DEFAULT` if set, rounded down to whole wasm pages.
 */
export function defaultMemoryLimit(hostRam: number | undefined, env: string | undefined = envDefault()): number {
  let limit = Math.min(Math.floor((hostRam !== undefined && hostRam > 0 ? hostRam : UNKNOWN_HOST_RAM) / 2), MEMORY_DEFAULT_CAP);
  if (env !== undefined && env !== '') {
    const v = parseEnvSize(env);
    if (Number.isFinite(v) && v >= PAGE) limit = Math.min(limit, v);
  }
  return Math.floor(limit / PAGE) * PAGE;
}

function envDefault(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.WASMVISOR_MEMORY_DEFAULT;
}

/** The host's RAM in bytes, or undefined if it cannot be known. */
export async function hostMemoryBytes(): Promise<number | undefined> {
  if ((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined) {
    try {
      return (await import('node:os')).totalmem();
    } catch {
      // not Node after all
    }
  }
  const gib = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
  return typeof gib === 'number' && gib > 0 ? gib * 1024 ** 3 : undefined;
}
