/**
 * Registry credentials and authentication challenges.
 *
 * Credentials are read, first match wins, from `--authfile`, else
 * `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`, `$DOCKER_CONFIG/config.json` (or
 * `~/.docker/config.json`). All use the
 * Docker format `{"auths": {"host[/namespace]": {"auth": base64("user:pass")}}}`;
 * a key may be a URL (`https://index.docker.io/v1/`) and the longest
 * matching `host/namespace` key wins. Docker credential helpers
 * (`credHelpers`, `credsStore`: `docker-credential-NAME get`) are asked
 * first when a file names one. `login` and `logout` write the first
 * of `--authfile`, `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`, as podman does.
 *
 * Challenges follow RFC 7235 (`WWW-Authenticate: Bearer realm="…",
 * service="…", scope="…"` or `Basic realm="…"`); tokens come from the
 * Docker token protocol (GET realm?service=&scope=, basic auth with the
 * user's credentials when there are any).
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../content/content_store.js';
import { DOCKER_HUB } from '../reference/reference.js';
import { CodedError } from '../../coded_error.js';

/** A user name and secret (password or identity token). */
export interface Credentials {
  username: string;
  password: string;
}

/** One parsed challenge from `WWW-Authenticate`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Stable codes of {@link AuthError}. */
export type AuthErrorCode = 'AUTH_FILE_INVALID' | 'NOT_LOGGED_IN';

/** A credentials file problem. */
export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = 'AuthError';
}

/** Parse a `WWW-Authenticate` header into its challenges. */
export function parseChallenges(header: string | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let i = 0;
  const n = header.length;
  const skip = (chars: string): void => {
    while (i < n && chars.includes(header[i])) i++;
  };
  const token = (): string => {
    const s = i;
    while (i < n && /[A-Za-z0-9!#$%&'*+.^_`|~\/-]/.test(header[i])) i++;
    return header.slice(s, i);
  };
  while (i < n) {
    skip(' \t,');
    const word = token();
    if (word === '') {
      i++;
      continue;
    }
    skip(' \t');
    if (header[i] === '=' && out.length > 0) {
      i++;
      skip(' \t');
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i++];
        }
        i++;
      } else {
        const s = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(s, i);
      }
      out[out.length - 1].params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}

/** Auth file paths to read, in order. */
export function authFilesToRead(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [explicit];
  const home = env.HOME || os.homedir();
  const out: string[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json'));
  out.push(path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'));
  return out;
}

/** The auth file `login`/`logout` write. */
export function authFileToWrite(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'containers', 'auth.json');
}

/** Normalise an auths key: strip scheme and `/v1/`-style suffixes, map Docker Hub's names. */
function normaliseKey(key: string): string {
  let k = key.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  k = k.replace(/\/v[12]$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') k = DOCKER_HUB;
  return k;
}

type AuthsFile = {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  /** Docker credential helpers: `docker-credential-<name>` per registry, or for all. */
  credHelpers?: Record<string, string>;
  credsStore?: string;
};

/**
 * Ask the Docker credential helper `docker-credential-<name>` for `server`'s
 * credentials (`get`, server on stdin, JSON on stdout); undefined if it has none.
 */
function fromHelper(name: string, server: string): Credentials | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new AuthError('AUTH_FILE_INVALID', `credential helper name ${JSON.stringify(name)} is not valid`);
  let out: string;
  try {
    out = execFileSync(`docker-credential-${name}`, ['get'], { input: server, encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AuthError('AUTH_FILE_INVALID', `credential helper docker-credential-${name} is configured but not on PATH; install it or remove it from the config`);
    }
    return undefined; // helpers exit non-zero for "credentials not found"
  }
  try {
    const doc = JSON.parse(out) as { Username?: string; Secret?: string };
    if (!doc.Secret) return undefined;
    return { username: doc.Username || '<token>', password: doc.Secret };
  } catch {
    throw new AuthError('AUTH_FILE_INVALID', `credential helper docker-credential-${name} printed something that is not JSON`);
  }
}

function readAuths(file: string): AuthsFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as AuthsFile;
  } catch {
    throw new AuthError('AUTH_FILE_INVALID', `${file} is not valid JSON; fix it or remove it and log in again`);
  }
}

/** Decode one auths entry into credentials. */
function decodeEntry(e: NonNullable<AuthsFile['auths']>[string]): Credentials | undefined {
  if (e.auth) {
    const s = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  if (e.username && e.password) return { username: e.username, password: e.password };
  if (e.identitytoken) return { username: '<token>', password: e.identitytoken };
  return undefined;
}

/**
 * Credentials for `registry` (and optionally the repository within it):
 * the longest matching key of the first auth file that has one.
 */
export function findCredentials(registry: string, repository = '', files = authFilesToRead()): Credentials | undefined {
  const full = repository ? `${registry}/${repository}` : registry;
  for (const f of files) {
    const doc = readAuths(f);
    const helper = doc?.credHelpers?.[registry] ?? doc?.credsStore;
    if (helper) {
      const creds = fromHelper(helper, registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry);
      if (creds) return creds;
    }
    const auths = doc?.auths;
    if (!auths) continue;
    let best: { len: number; creds: Credentials } | undefined;
    for (const [key, entry] of Object.entries(auths)) {
      const k = normaliseKey(key);
      if (full === k || full.startsWith(`${k}/`)) {
        const creds = decodeEntry(entry);
        if (creds && (!best || k.length > best.len)) best = { len: k.length, creds };
      }
    }
    if (best) return best.creds;
  }
  return undefined;
}

/** Store credentials for `key` (a registry, or registry/namespace) in `file`, creating it 0600. */
export async function saveCredentials(file: string, key: string, creds: Credentials): Promise<void> {
  const doc = readAuths(file) ?? {};
  doc.auths ??= {};
  doc.auths[normaliseKey(key)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
  await fsp.chmod(file, 0o600);
}

/** Remove credentials for `key` from `file`; resolves to false if there were none. */
export async function removeCredentials(file: string, key: string): Promise<boolean> {
  const doc = readAuths(file);
  const k = normaliseKey(key);
  const match = Object.keys(doc?.auths ?? {}).filter((x) => normaliseKey(x) === k);
  if (!doc?.auths || match.length === 0) return false;
  for (const m of match) delete doc.auths[m];
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
  return true;
}

/** Remove every credential from `file`, keeping its other settings; resolves to the number removed. */
export async function removeAllCredentials(file: string): Promise<number> {
  const doc = readAuths(file);
  const n = Object.keys(doc?.auths ?? {}).length;
  if (!doc || n === 0) return 0;
  doc.auths = {};
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
  return n;
}

/** `Authorization: Basic …` value for `creds`. */
export function basicAuth(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}
