/**
 * The registry client (OCI distribution-spec 1.1): authenticated requests
 * with retries against one {@link Endpoint}, and the read operations the
 * puller and `inspect docker://` need (manifests, blobs, tags). Uploads are
 * in push.ts on top of {@link RegistryClient.request}.
 *
 * A request goes out with whatever authorization is cached for its host and
 * scope. A 401 carries a challenge: for `Bearer`, a token is fetched from
 * the realm (with the user's credentials, if any) for the scope
 * `repository:NAME:ACTIONS`, cached, and the request is sent again; for
 * `Basic`, the credentials are sent. A second 401 is a login failure,
 * reported in one line that names the registry and what to check.
 * Network errors, 429 and 5xx are retried with exponential backoff.
 * Small requests (the /v2/ probe, manifests, tokens, tags, configs) have one
 * overall deadline, body included ({@link DEFAULT_DEADLINE_MS}); blob
 * downloads instead fail after {@link DEFAULT_STALL_MS} without a byte.
 */
import { authFilesToRead, basicAuth, findCredentials, parseChallenges, type Challenge, type Credentials } from './auth.js';
import { sha256Digest, type Digest } from '../content/digest.js';
import { MAX_MANIFEST_SIZE } from '../content/manifest.js';
import { MANIFEST_ACCEPT } from '../content/media_types.js';
import { type Reference } from '../reference/reference.js';
import { endpointsFor, type Endpoint, type EndpointOptions, type RegistriesConf } from './registry_config.js';
import { discard, header, httpRequest, readBody, type Body, type HttpResponse } from './registry_http.js';
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link RegistryError}. */
export type RegistryErrorCode =
  | 'UNAUTHORIZED'
  | 'AUTH_REQUIRED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'UNREACHABLE'
  | 'TOO_LARGE'
  | 'DIGEST_MISMATCH'
  | 'TIMEOUT'
  | 'PROTOCOL';

/** A registry failure; `code` is stable and `message` is one line saying what to do. */
export class RegistryError extends CodedError<RegistryErrorCode> {
  override readonly name = 'RegistryError';

  constructor(code: RegistryErrorCode, message: string, readonly status?: number) {
    super(code, message);
  }
}

/** How the client behaves. */
export interface RegistryClientOptions {
  /** Mirrors and insecure registries (see registry_config.ts). */
  conf?: RegistriesConf;
  /** `false`: allow plain HTTP and unverified TLS everywhere. */
  tlsVerify?: boolean;
  /** Read credentials only from this file. */
  authFile?: string;
  /** Use these credentials for every registry (`--creds`). */
  credentials?: Credentials;
  /** Attempts per request for retryable failures (default 4). */
  attempts?: number;
  /** First backoff delay in ms, doubled each retry (default 200). */
  backoffMs?: number;
  /** Overall deadline of a small request, body included, in ms (default {@link DEFAULT_DEADLINE_MS}). */
  deadlineMs?: number;
  /** A blob download fails when no byte arrives for this long, in ms (default {@link DEFAULT_STALL_MS}). */
  stallMs?: number;
}

/** Default overall deadline of a small registry request (manifest, token, probe, tags, config). */
export const DEFAULT_DEADLINE_MS = 60_000;

/** Default time a blob download may go without receiving a byte. */
export const DEFAULT_STALL_MS = 30_000;

/** What a request needs besides the endpoint. */
export interface RequestInit {
  method?: string;
  /** Path below `/v2/<repository>/`, or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Scope actions: `pull` (default) or `pull,push`. */
  actions?: string;
  /** Extra scopes (e.g. `repository:OTHER:pull` for a cross-repository mount). */
  scopes?: string[];
  /** Do not retry (a failure on a mirror falls through quickly). */
  noRetry?: boolean;
  /** A small request: the whole exchange, retries and body included, has the client's deadline. */
  small?: boolean;
  /** What this is, for messages (default `METHOD path`). */
  what?: string;
  /** Fail when no byte arrives for this long, in ms (default 60 s). */
  idleTimeoutMs?: number;
}

/** A manifest or index as a registry served it. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  digest: Digest;
  endpoint: Endpoint;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TLS_ERRORS = /EPROTO|ERR_SSL|wrong version number|ECONNRESET/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Parse a distribution-spec error body into `CODE: message` for error text. */
async function errorDetail(res: HttpResponse): Promise<string> {
  const body = await readBody(res, 64 * 1024).catch(() => undefined);
  if (!body) return '';
  try {
    const errs = (JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    return errs.map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
  } catch {
    return body.toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
  }
}

/** A registry client; holds token caches and per-host scheme decisions for its lifetime. */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly schemes = new Map<string, 'https' | 'http'>();
  private readonly creds = new Map<string, Credentials | undefined>();

  constructor(readonly opts: RegistryClientOptions = {}) {}

  /** The endpoints to try for `ref` (mirrors first, unless `noMirrors`). */
  endpoints(ref: Reference, opts: Omit<EndpointOptions, 'tlsVerify'> = {}): Endpoint[] {
    return endpointsFor(ref, this.opts.conf ?? { registries: [] }, { ...opts, tlsVerify: this.opts.tlsVerify });
  }

  /** Credentials configured for `ep`, if any (looked up once per host and repository: a helper may be slow). */
  credentialsFor(ep: Endpoint): Credentials | undefined {
    if (this.opts.credentials) return this.opts.credentials;
    const key = `${ep.host}/${ep.repository}`;
    if (!this.creds.has(key)) {
      const host = ep.host === 'registry-1.docker.io' ? 'docker.io' : ep.host;
      this.creds.set(key, findCredentials(host, ep.repository, this.opts.authFile ? [this.opts.authFile] : authFilesToRead()));
    }
    return this.creds.get(key);
  }

  /** Base URL of `ep`'s host (`https://host` or `http://host`). */
  baseUrl(ep: Endpoint): string {
    return `${this.schemes.get(ep.host) ?? 'https'}://${ep.host}`;
  }

  /**
   * Send one request to `ep`, authenticating and retrying as the module
   * comment describes. Resolves with any response status except 401 and
   * retryable ones; the caller reads or discards the body.
   */
  async request(ep: Endpoint, init: RequestInit): Promise<HttpResponse> {
    const actions = init.actions ?? 'pull';
    const scopes = [`repository:${ep.repository}:${actions}`, ...(init.scopes ?? [])];
    const attempts = init.noRetry ? 1 : this.opts.attempts ?? 4;
    const what = init.what ?? `${init.method ?? 'GET'} ${init.path || '/v2/'}`;
    const deadline = init.small ? Date.now() + this.deadlineMs : undefined;
    let authTried = false;
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts; ) {
      const url = /^https?:\/\//.test(init.path)
        ? new URL(init.path)
        : new URL(`${this.baseUrl(ep)}/v2/${init.path === '' ? '' : `${ep.repository}/${init.path}`}`);
      const headers: Record<string, string> = { ...init.headers };
      const auth = this.cachedAuth(ep, scopes);
      if (auth) headers.Authorization = auth;
      let res: HttpResponse;
      try {
        res = await httpRequest({ method: init.method ?? 'GET', url, headers, body: init.body, insecureTls: ep.insecure, deadline, idleTimeoutMs: init.idleTimeoutMs });
      } catch (err) {
        const msg = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`;
        const ecode = (err as NodeJS.ErrnoException).code;
        if (ecode === 'EDEADLINE') throw this.timedOut(ep, what);
        if (ecode === 'EREDIRECT') throw new RegistryError('PROTOCOL', `registry ${(err as Error).message}`);
        if (ecode === 'ETIMEDOUT') {
          throw new RegistryError('TIMEOUT', `registry ${ep.host} sent nothing for ${(init.idleTimeoutMs ?? 60_000) / 1000} s in answer to ${what}; it is stalling, try again later`);
        }
        if (ep.insecure && url.protocol === 'https:' && !this.schemes.has(ep.host) && TLS_ERRORS.test(msg)) {
          this.schemes.set(ep.host, 'http'); // the server does not speak TLS: an insecure registry on plain HTTP
          continue;
        }
        lastErr = err;
        attempt++;
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (code === 'ECONNREFUSED' && ep.mirror) break;
        if (code === 'ENOTFOUND' || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) break; // retrying cannot help
        if (attempt < attempts) await sleep((this.opts.backoffMs ?? 200) * 2 ** (attempt - 1));
        continue;
      }
      if (url.protocol === 'https:' && !this.schemes.has(ep.host)) this.schemes.set(ep.host, 'https');
      if (res.status === 401) {
        await discard(res);
        if (authTried) throw this.loginFailed(ep);
        authTried = true;
        await this.authenticate(ep, scopes, header(res, 'www-authenticate'));
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt + 1 < attempts) {
        await discard(res);
        attempt++;
        const after = Number(header(res, 'retry-after'));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 10) * 1000 : (this.opts.backoffMs ?? 200) * 2 ** (attempt - 1));
        continue;
      }
      return res;
    }
    const e = lastErr as NodeJS.ErrnoException | undefined;
    const code = e?.code ?? '';
    const tls = /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|EPROTO|UNABLE_TO_VERIFY/.test(code);
    const hint = tls && !ep.insecure
      ? ' (for a plain-HTTP or self-signed registry, use --tls-verify=false or mark it insecure in registries.conf)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? ' (check the registry name and your DNS)'
        : code === 'ECONNREFUSED'
          ? ' (is the registry running on that port?)'
          : '';
    throw new RegistryError('UNREACHABLE', `cannot reach registry ${ep.host}: ${`${code} ${e?.message ?? 'too many failures'}`.trim()}${hint}`);
  }

  private get deadlineMs(): number {
    return this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /** The error of a small request to `ep` that ran past the deadline. */
  private timedOut(ep: Endpoint, what: string): RegistryError {
    return new RegistryError('TIMEOUT', `registry ${ep.host} did not complete ${what} within ${this.deadlineMs / 1000} s (the deadline for small requests); it is stalling or too slow, try again later`);
  }

  /** {@link readBody} of a small request's response, a deadline turned into a TIMEOUT error naming `what`. */
  async readSmall(ep: Endpoint, res: HttpResponse, limit: number, what: string): Promise<Buffer | undefined> {
    try {
      return await readBody(res, limit);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EDEADLINE') throw this.timedOut(ep, what);
      throw err;
    }
  }

  private cachedAuth(ep: Endpoint, scopes: string[]): string | undefined {
    const token = this.tokens.get(`${ep.host} ${scopes.join(' ')}`);
    if (token) return `Bearer ${token}`;
    const ch = this.challenges.get(ep.host);
    if (ch?.scheme === 'basic') {
      const creds = this.credentialsFor(ep);
      if (creds) return basicAuth(creds);
    }
    return undefined;
  }

  private loginFailed(ep: Endpoint): RegistryError {
    const creds = this.credentialsFor(ep);
    if (!creds) {
      return new RegistryError('AUTH_REQUIRED', `registry ${ep.host} requires a login to access ${ep.repository}: run wasmvisor login ${ep.host}`, 401);
    }
    return new RegistryError(
      'UNAUTHORIZED',
      `registry ${ep.host} refused the credentials of user "${creds.username}" for ${ep.repository}: check the username and password (wasmvisor login ${ep.host}) and that the user may access this repository`,
      401,
    );
  }

  /** Answer a 401 challenge: fetch a bearer token, or arm basic auth. */
  private async authenticate(ep: Endpoint, scopes: string[], wwwAuth: string | undefined): Promise<void> {
    const challenges = parseChallenges(wwwAuth);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = this.credentialsFor(ep);
    if (bearer?.params.realm) {
      this.challenges.set(ep.host, bearer);
      this.tokens.set(`${ep.host} ${scopes.join(' ')}`, await this.fetchToken(ep, bearer, scopes, creds));
      return;
    }
    if (basic) {
      if (!creds) throw this.loginFailed(ep);
      this.challenges.set(ep.host, basic);
      return;
    }
    throw new RegistryError('PROTOCOL', `registry ${ep.host} answered 401 without a usable WWW-Authenticate challenge (${wwwAuth ?? 'none'})`, 401);
  }

  /** Get a token from the challenge's realm for `scopes`. */
  private async fetchToken(ep: Endpoint, ch: Challenge, scopes: string[], creds: Credentials | undefined): Promise<string> {
    let url: URL;
    try {
      url = new URL(ch.params.realm);
    } catch {
      throw new RegistryError('PROTOCOL', `registry ${ep.host} names an invalid token realm ${JSON.stringify(ch.params.realm)}`);
    }
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (creds) headers.Authorization = basicAuth(creds);
    let res: HttpResponse;
    try {
      res = await httpRequest({ method: 'GET', url, headers, insecureTls: ep.insecure, deadline: Date.now() + this.deadlineMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EDEADLINE') throw this.timedOut(ep, `a token request to ${url.host}`);
      throw new RegistryError('UNREACHABLE', `cannot reach the token server ${url.host} of registry ${ep.host}: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw this.loginFailed(ep);
    }
    const body = await this.readSmall(ep, res, 1024 * 1024, `a token request to ${url.host}`);
    if (res.status !== 200 || !body) {
      throw new RegistryError('PROTOCOL', `token server ${url.host} of registry ${ep.host} answered ${res.status}`, res.status);
    }
    let token: string | undefined;
    try {
      const doc = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
      token = doc.token ?? doc.access_token;
    } catch {
      /* reported below */
    }
    if (!token) throw new RegistryError('PROTOCOL', `token server ${url.host} of registry ${ep.host} sent no token`);
    return token;
  }

  /** Turn a non-success response into a RegistryError (consumes the body). */
  async fail(ep: Endpoint, res: HttpResponse, what: string): Promise<never> {
    const detail = await errorDetail(res);
    const code: RegistryErrorCode = res.status === 404 ? 'NOT_FOUND' : res.status === 403 ? 'DENIED' : 'PROTOCOL';
    const advice =
      code === 'NOT_FOUND' ? 'check the name and tag' : code === 'DENIED' ? 'check that your user may access it' : 'the registry may be misbehaving';
    throw new RegistryError(code, `${what} on ${ep.host}: ${res.status}${detail ? ` ${detail}` : ''} (${advice})`, res.status);
  }

  /** `/v2/` probe: resolves if the registry answers and accepts our credentials. */
  async ping(ep: Endpoint): Promise<void> {
    const res = await this.request(ep, { path: '', small: true, what: 'the /v2/ probe' });
    if (res.status !== 200) await this.fail(ep, res, 'the /v2/ probe');
    await discard(res);
  }

  /**
   * Fetch the manifest or index `object` (tag or digest) of `ref`, trying
   * each endpoint in turn (mirrors fall through to the next on any failure).
   * The body is limited to MAX_MANIFEST_SIZE and checked against a requested digest.
   */
  async getManifest(ref: Reference, object: string, endpoints = this.endpoints(ref)): Promise<FetchedManifest> {
    let mirrorErr: unknown;
    for (const ep of endpoints) {
      try {
        return await this.getManifestFrom(ep, ref, object);
      } catch (err) {
        if (!ep.mirror) throw err;
        mirrorErr = err;
      }
    }
    throw mirrorErr;
  }

  private async getManifestFrom(ep: Endpoint, ref: Reference, object: string): Promise<FetchedManifest> {
    const what = `manifest ${ref.name}:${object}`;
    const res = await this.request(ep, { path: `manifests/${object}`, headers: { Accept: MANIFEST_ACCEPT }, noRetry: ep.mirror, small: true, what });
    if (res.status !== 200) await this.fail(ep, res, what);
    const bytes = await this.readSmall(ep, res, MAX_MANIFEST_SIZE, what);
    if (!bytes) {
      throw new RegistryError('TOO_LARGE', `manifest ${ref.name}:${object} on ${ep.host} is over the ${MAX_MANIFEST_SIZE}-byte limit; this is not an image wasmvisor can use`);
    }
    const digest = sha256Digest(bytes);
    const want = object.startsWith('sha256:') ? object : undefined;
    if (want && digest !== want) {
      throw new RegistryError('DIGEST_MISMATCH', `manifest ${ref.name}@${want} from ${ep.host} has digest ${digest}; the registry served corrupt data, nothing was stored`);
    }
    const served = header(res, 'docker-content-digest');
    if (!want && served?.startsWith('sha256:') && served !== digest) {
      throw new RegistryError('DIGEST_MISMATCH', `manifest ${ref.name}:${object} from ${ep.host} hashes to ${digest} but the registry says ${served}; nothing was stored`);
    }
    return { bytes, mediaType: header(res, 'content-type')?.split(';')[0].trim(), digest, endpoint: ep };
  }

  /** The stall timeout of blob downloads, in ms. */
  get stallMs(): number {
    return this.opts.stallMs ?? DEFAULT_STALL_MS;
  }

  /**
   * Start a blob download from byte `offset`; resolves to the response (200 or 206).
   * `small` (a config): the small-request deadline covers it, body included;
   * else the headers must come within the stall timeout.
   */
  async getBlob(ep: Endpoint, digest: Digest, offset = 0, small = false): Promise<HttpResponse> {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.request(ep, { path: `blobs/${digest}`, headers, noRetry: ep.mirror, small, what: `blob ${digest}`, idleTimeoutMs: small ? undefined : this.stallMs });
    if (res.status !== 200 && res.status !== 206) await this.fail(ep, res, `blob ${digest}`);
    return res;
  }

  /** True if `ep` has the blob (HEAD). */
  async hasBlob(ep: Endpoint, digest: Digest, actions = 'pull'): Promise<boolean> {
    const res = await this.request(ep, { method: 'HEAD', path: `blobs/${digest}`, actions, small: true, what: `HEAD of blob ${digest}` });
    await discard(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.fail(ep, res, `blob ${digest}`);
  }

  /** Tags of the repository (first page of `/tags/list`). */
  async listTags(ep: Endpoint): Promise<string[]> {
    const what = `tags of ${ep.repository}`;
    const res = await this.request(ep, { path: 'tags/list', small: true, what });
    if (res.status !== 200) await this.fail(ep, res, what);
    const body = await this.readSmall(ep, res, 4 * 1024 * 1024, what);
    return ((JSON.parse(body?.toString('utf8') ?? '{}') as { tags?: string[] | null }).tags ?? []).slice();
  }
}
