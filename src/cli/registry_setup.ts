/**
 * Building a registry client and opening the store from command-line
 * options, shared by `pull`, `push`, `inspect`, `login` and the library.
 */
import type { Command } from 'commander';
import { loadRegistriesConf, RegistryConfigError } from '../image/registry/registry_config.js';
import { RegistryClient } from '../image/registry/registry.js';
import { openStore, resolveStoreRoot, type Store } from '../image/content/store_root.js';
import type { Credentials } from '../image/registry/auth.js';
import type { RegistryFlags } from './registry_flags.js';

export { addRegistryFlags, type RegistryFlags } from './registry_flags.js';

/** Parse a `--flag[=bool]` value (`true`, `false`, or no value = true). */
export function parseBoolFlag(v: string | boolean | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new RegistryConfigError('CONFIG_INVALID', `invalid boolean ${JSON.stringify(v)}: write --tls-verify=true or --tls-verify=false`);
}

/** Split `--creds USER[:PASSWORD]`. */
export function parseCreds(s: string | undefined): Credentials | undefined {
  if (!s) return undefined;
  const i = s.indexOf(':');
  return i < 0 ? { username: s, password: '' } : { username: s.slice(0, i), password: s.slice(i + 1) };
}

/** Milliseconds from `env[name]` given in seconds (a positive number), else undefined. */
function secondsEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = Number(env[name]);
  return env[name] && Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
}

/**
 * A registry client configured from `flags`; `$WASMVISOR_REGISTRY_DEADLINE`
 * (seconds, default 60) bounds each small request, `$WASMVISOR_BLOB_STALL_TIMEOUT`
 * (seconds, default 30) how long a blob download may go without a byte.
 */
export function clientFromFlags(flags: RegistryFlags, env: NodeJS.ProcessEnv = process.env): RegistryClient {
  return new RegistryClient({
    tlsVerify: parseBoolFlag(flags.tlsVerify),
    authFile: flags.authfile,
    credentials: parseCreds(flags.creds),
    conf: loadRegistriesConf(flags.registriesConf),
    deadlineMs: secondsEnv(env, 'WASMVISOR_REGISTRY_DEADLINE'),
    stallMs: secondsEnv(env, 'WASMVISOR_BLOB_STALL_TIMEOUT'),
  });
}

/** Open the store named by the global `--root` of `cmd` (or its defaults). */
export function storeFromCommand(cmd: Command): Promise<Store> {
  const root = (cmd.optsWithGlobals() as { root?: string }).root;
  return openStore(resolveStoreRoot(root));
}
