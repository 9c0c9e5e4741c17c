/**
 * Whether `run`'s argument is an image or a host file, apart from
 * manifest_run.ts so that `run FILE.wasm` decides it without loading the
 * image pipeline (the reference parser alone).
 */
import { parseReference } from '../reference/reference.js';

/** True if the `run` argument names an image rather than a host file: not an existing path, not `*.wasm`, and a valid reference. */
export function looksLikeImage(arg: string, exists: (p: string) => boolean): boolean {
  if (exists(arg) || arg.endsWith('.wasm') || /^(\/|\.\.?\/)/.test(arg)) return false;
  try {
    parseReference(arg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the `run` argument is neither a host file nor an image: the reference
 * parser's message when it is not an existing path, does not look like one
 * (`/…`, `./…`, `../…`, `*.wasm`) and does not parse as a reference;
 * undefined otherwise (a path-looking argument that is absent stays "no such
 * file").
 */
export function referenceFault(arg: string, exists: (p: string) => boolean): string | undefined {
  if (exists(arg) || arg.endsWith('.wasm') || /^(\/|\.\.?\/)/.test(arg)) return undefined;
  try {
    parseReference(arg);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
