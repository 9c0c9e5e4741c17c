/**
 * Which endpoints serve a registry, and how to talk to them: mirrors and
 * insecure registries from a `registries.conf`-style TOML file (the
 * containers-registries.conf v2 format, the subset wasmvisor uses):
 *
 * ```toml
 * [[registry]]
 * location = "docker.io"            # or "host:port", or "host/namespace"
 * insecure = false                  # plain HTTP / unverified TLS allowed
 * blocked = false
 * [[registry.mirror]]
 * location = "mirror.local:5000"    # may carry a namespace: "m.local/hub"
 * insecure = true
 * ```
 *
 * The file: `--registries-conf`, else `$CONTAINERS_REGISTRIES_CONF`, else
 * `$XDG_CONFIG_HOME/containers/registries.conf` (or `~/.config/…`), else
 * `/etc/containers/registries.conf`; none is fine.
 *
 * TLS policy: HTTPS with verified certificates, except for registries marked
 * `insecure`, every registry under `--tls-verify=false`, and, as Docker does
 * (podman does not), loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`).
 * For those, HTTPS without verification is tried first and plain HTTP when
 * the server does not speak TLS.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { apiHost, type Reference } from '../reference/reference.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link RegistryConfigError}. */
export type RegistryConfigErrorCode = 'CONFIG_INVALID' | 'REGISTRY_BLOCKED';

/** A registries.conf that cannot be used, or a blocked registry. */
export class RegistryConfigError extends CodedError<RegistryConfigErrorCode> {
  override readonly name = 'RegistryConfigError';
}

/** One `[[registry]]` entry (or one of its mirrors). */
export interface RegistryEntry {
  location: string;
  insecure?: boolean;
  blocked?: boolean;
  mirrors: { location: string; insecure?: boolean }[];
}

/** A parsed registries.conf. */
export interface RegistriesConf {
  registries: RegistryEntry[];
  /** The file it came from, for messages. */
  source?: string;
}

/** One place to try for a repository: a host, the repository path there, and its TLS mode. */
export interface Endpoint {
  /** host[:port] to connect to. */
  host: string;
  /** Repository path on that host (a mirror may add a namespace). */
  repository: string;
  /** Plain HTTP or unverified TLS allowed. */
  insecure: boolean;
  /** True for a mirror (failures fall through to the next endpoint). */
  mirror: boolean;
}

/** Parse registries.conf text; `source` names the file in errors. */
export function parseRegistriesConf(text: string, source = 'registries.conf'): RegistriesConf {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new RegistryConfigError('CONFIG_INVALID', `${source}: not valid TOML (${(err as Error).message.split('\n')[0]})`);
  }
  const regs = (doc.registry ?? []) as unknown[];
  if (!Array.isArray(regs)) throw new RegistryConfigError('CONFIG_INVALID', `${source}: [[registry]] must be an array of tables`);
  const registries = regs.map((r, i): RegistryEntry => {
    const e = r as Record<string, unknown>;
    const location = (e.location ?? e.prefix) as unknown;
    if (typeof location !== 'string' || location === '') {
      throw new RegistryConfigError('CONFIG_INVALID', `${source}: registry #${i + 1} has no location`);
    }
    const mirrors = ((e.mirror ?? []) as Record<string, unknown>[]).map((m) => {
      if (typeof m.location !== 'string' || m.location === '') {
        throw new RegistryConfigError('CONFIG_INVALID', `${source}: a mirror of ${location} has no location`);
      }
      return { location: m.location, insecure: m.insecure === true };
    });
    return { location, insecure: e.insecure === true, blocked: e.blocked === true, mirrors };
  });
  return { registries, source };
}

/** Where registries.conf is looked for, first match wins. */
export function registriesConfPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [explicit];
  if (env.CONTAINERS_REGISTRIES_CONF) return [env.CONTAINERS_REGISTRIES_CONF];
  const cfg = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return [path.join(cfg, 'containers', 'registries.conf'), '/etc/containers/registries.conf'];
}

/** Load registries.conf from the first existing path (an explicit path must exist). */
export function loadRegistriesConf(explicit?: string, env: NodeJS.ProcessEnv = process.env): RegistriesConf {
  for (const p of registriesConfPath(explicit, env)) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (err) {
      if (explicit) throw new RegistryConfigError('CONFIG_INVALID', `cannot read ${p}: ${(err as Error).message}`);
      continue;
    }
    return parseRegistriesConf(text, p);
  }
  return { registries: [] };
}

/** True for `localhost`, `127.x.y.z` and `[::1]`, with or without a port. */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The entry whose location is the longest prefix of `registry/repository`. */
function findEntry(conf: RegistriesConf, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const e of conf.registries) {
    const loc = e.location.replace(/\/+$/, '');
    if (name === loc || name.startsWith(`${loc}/`)) {
      if (!best || loc.length > best.location.length) best = e;
    }
  }
  return best;
}

/** Options that change endpoint choice. */
export interface EndpointOptions {
  /** `--tls-verify=false`: every endpoint may be plain HTTP or unverified TLS. */
  tlsVerify?: boolean;
  /** Ignore mirrors (push always does). */
  noMirrors?: boolean;
}

/**
 * The endpoints to try for `ref`, in order: its mirrors, then the registry
 * itself. Throws REGISTRY_BLOCKED for a blocked registry.
 */
export function endpointsFor(ref: Reference, conf: RegistriesConf, opts: EndpointOptions = {}): Endpoint[] {
  const entry = findEntry(conf, ref.name);
  if (entry?.blocked) {
    throw new RegistryConfigError('REGISTRY_BLOCKED', `registry ${ref.registry} is blocked by ${conf.source ?? 'registries.conf'}`);
  }
  const insecureAll = opts.tlsVerify === false;
  const out: Endpoint[] = [];
  const loc = entry?.location.replace(/\/+$/, '');
  // The part of the repository below the entry's location (namespace entries map onto mirror namespaces).
  const below = loc && loc.includes('/') ? ref.name.slice(loc.length + 1) : ref.repository;
  if (!opts.noMirrors) {
    for (const m of entry?.mirrors ?? []) {
      const [host, ...ns] = m.location.replace(/\/+$/, '').split('/');
      out.push({
        host,
        repository: [...ns, below].join('/'),
        insecure: insecureAll || m.insecure === true || isLoopback(host),
        mirror: true,
      });
    }
  }
  const host = apiHost(ref.registry);
  out.push({ host, repository: ref.repository, insecure: insecureAll || entry?.insecure === true || isLoopback(host), mirror: false });
  return out;
}
