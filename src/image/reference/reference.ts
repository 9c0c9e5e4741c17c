/**
 * Image references: `[registry/][namespace/]name[:tag][@digest]`, with
 * Docker Hub normalisation as Docker and containerd do it:
 * `hello` → `docker.io/library/hello:latest`, `user/app` → `docker.io/user/app:latest`.
 * The first component is a registry when it contains `.` or `:` or is
 * `localhost`; `index.docker.io` becomes `docker.io`.
 */
import { DigestError, validateDigest, type Digest } from '../content/digest.js';
import { CodedError } from '../../coded_error.js';

/** Docker Hub's canonical registry name. */
export const DOCKER_HUB = 'docker.io';

/** The host that serves Docker Hub's registry API. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** Stable codes of {@link ImageReferenceError}. */
export type ImageReferenceErrorCode = 'REFERENCE_INVALID' | 'REFERENCE_TOO_LONG' | 'REFERENCE_UPPERCASE';

/** An image reference that does not parse; the message says what to fix. */
export class ImageReferenceError extends CodedError<ImageReferenceErrorCode> {
  override readonly name = 'ImageReferenceError';
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

/** A parsed, normalised image reference. */
export class Reference {
  constructor(
    /** Registry host[:port], `docker.io` for Docker Hub. */
    readonly registry: string,
    /** Repository path within the registry, e.g. `library/hello`. */
    readonly repository: string,
    /** Tag, if any (`latest` when neither tag nor digest was given). */
    readonly tag: string | undefined,
    /** Digest, if any. */
    readonly digest: Digest | undefined,
  ) {}

  /** `registry/repository` without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** The tag or digest to ask the registry for (digest wins). */
  get object(): string {
    return this.digest ?? this.tag ?? 'latest';
  }

  /** Same repository, other tag/digest. */
  with(tag: string | undefined, digest?: Digest): Reference {
    return new Reference(this.registry, this.repository, tag, digest);
  }

  /** The full normalised form: `registry/repository[:tag][@digest]`. */
  toString(): string {
    return `${this.name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }
}

/** True if `s` could be a registry host (`host.domain`, `host:port`, `localhost`). */
function looksLikeRegistry(s: string): boolean {
  return s.includes('.') || s.includes(':') || s === 'localhost';
}

/**
 * Parse and normalise `input`. A reference without tag or digest gets
 * `latest`. Throws a {@link ImageReferenceError} naming the bad part.
 */
export function parseReference(input: string): Reference {
  const bad = (why: string, code: ImageReferenceErrorCode = 'REFERENCE_INVALID'): ImageReferenceError =>
    new ImageReferenceError(code, `invalid image reference ${JSON.stringify(input)}: ${why}`);
  if (typeof input !== 'string' || input.trim() === '') throw bad('it is empty');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = validateDigest(rest.slice(at + 1));
    } catch (err) {
      if (err instanceof DigestError) throw bad(err.message);
      throw err;
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag ${JSON.stringify(tag)} must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeRegistry(parts[0])) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) throw bad(`registry ${JSON.stringify(registry)} is not a valid host[:port]`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (p !== p.toLowerCase() && COMPONENT.test(p.toLowerCase())) {
      throw bad(`repository names must be lowercase (${JSON.stringify(p)})`, 'REFERENCE_UPPERCASE');
    }
    if (!COMPONENT.test(p)) {
      throw bad(`${JSON.stringify(p)} is not a valid name component (lowercase letters, digits, and '.', '_', '__' or '-' between them)`);
    }
  }
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME) {
    throw bad(`the name is longer than ${MAX_NAME} characters`, 'REFERENCE_TOO_LONG');
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return new Reference(registry, repository, tag, digest);
}

/** The host to talk to for `registry` (`docker.io` is served by `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}
