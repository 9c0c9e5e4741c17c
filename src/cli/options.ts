/** Helpers for commander options that both front ends (`wasmvisor`, `wasmvisor-runc`) use. */

/** Accumulate a repeatable option (`-e A -e B` → `['A', 'B']`); give `[]` as its default. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}
