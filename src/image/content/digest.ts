/**
 * Content digests as the OCI image spec writes them: `algorithm:encoded`.
 * wasmvisor stores and verifies sha256 only (`sha256:` + 64 lowercase hex);
 * other algorithms parse but are refused where content must be verified.
 */
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CodedError } from '../../coded_error.js';

// node:crypto is loaded at the first hash, not with this module: the reference parser imports it
// for validateDigest, and `run FILE.wasm` parses its argument as a reference (15–30 ms of start-up)
// (createRequire is called at the first hash too: the playground's bundle stubs node:* modules out)
let load: NodeJS.Require | undefined;
const createHash = (algorithm: string): Hash => ((load ??= createRequire(import.meta.url))('node:crypto') as typeof import('node:crypto')).createHash(algorithm);

/** A validated `sha256:<64 lowercase hex>` digest string. */
export type Digest = string;

/** Stable codes of {@link DigestError}. */
export type DigestErrorCode = 'DIGEST_INVALID' | 'DIGEST_UNSUPPORTED';

/** A digest string that is malformed or uses an algorithm wasmvisor cannot verify. */
export class DigestError extends CodedError<DigestErrorCode> {
  override readonly name = 'DigestError';
}

/** The parts of a digest: algorithm (`sha256`) and encoded value (hex). */
export interface ParsedDigest {
  algorithm: string;
  encoded: string;
}

// OCI image-spec grammar: algorithm-component ([+._-] algorithm-component)* ":" encoded
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Split `s` into algorithm and encoded parts; throws DIGEST_INVALID when it does not follow the grammar. */
export function parseDigest(s: string): ParsedDigest {
  if (typeof s !== 'string' || !GRAMMAR.test(s)) {
    throw new DigestError('DIGEST_INVALID', `invalid digest ${JSON.stringify(s)}: expected sha256:<64 hex digits>`);
  }
  const i = s.indexOf(':');
  return { algorithm: s.slice(0, i), encoded: s.slice(i + 1) };
}

/** True if `s` is a well-formed sha256 digest. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && SHA256.test(s);
}

/** Return `s` if it is a well-formed sha256 digest; otherwise throw a DigestError saying what is wrong. */
export function validateDigest(s: string): Digest {
  if (isDigest(s)) return s;
  const { algorithm, encoded } = parseDigest(s);
  if (algorithm !== 'sha256') {
    throw new DigestError('DIGEST_UNSUPPORTED', `digest ${s}: algorithm ${algorithm} is not supported; only sha256 is`);
  }
  throw new DigestError(
    'DIGEST_INVALID',
    `invalid digest ${s}: a sha256 digest has 64 lowercase hex digits, this one has ${encoded.length} characters`,
  );
}

/** The hex part of a validated digest (`sha256:abc…` → `abc…`). */
export function digestHex(d: Digest): string {
  return validateDigest(d).slice('sha256:'.length);
}

/** The sha256 digest of `data`. */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An incremental sha256 digester: feed chunks with `update`, read the digest with `digest`. */
export class Digester {
  private hash: Hash = createHash('sha256');
  private bytes = 0;

  /** Add `chunk` to the digest. */
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  /** Number of bytes fed so far. */
  get size(): number {
    return this.bytes;
  }

  /** The digest of everything fed so far (does not end the digester). */
  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}

/** Short form for messages: `sha256:0123456789ab`. */
export function shortDigest(d: string): string {
  return d.length > 19 ? d.slice(0, 19) : d;
}
