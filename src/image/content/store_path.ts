/**
 * Where the store is, apart from the store itself (store_root.ts), so that
 * a command that only needs the path (the root check every command runs,
 * `run`'s container records) does not load the content store and
 * node:crypto with it.
 */
import os from 'node:os';
import path from 'node:path';

/** The store directory: `explicit`, else `$WASMVISOR_ROOT`, else `$XDG_DATA_HOME/wasmvisor`, else `~/.local/share/wasmvisor`. */
export function resolveStoreRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.WASMVISOR_ROOT) return path.resolve(env.WASMVISOR_ROOT);
  const data = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(data, 'wasmvisor');
}
