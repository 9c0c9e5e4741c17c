/**
 * Chain IDs, as the OCI image spec defines them: the identity of a layer
 * *together with every layer under it*. `chain(0) = diffid(0)`,
 * `chain(n) = sha256(chain(n-1) + " " + diffid(n))`. Snapshots are keyed by
 * chain ID, so two images that share their bottom layers share snapshots.
 */
import { sha256Digest, validateDigest, type Digest } from '../content/digest.js';

/** The chain ID of a layer given its parent's chain ID (undefined for the bottom layer). */
export function chainIdOf(parent: Digest | undefined, diffId: Digest): Digest {
  validateDigest(diffId);
  return parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`);
}

/** The chain IDs of a stack of diff IDs, bottom first. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(chainIdOf(out[out.length - 1], d));
  return out;
}
