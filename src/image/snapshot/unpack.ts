/**
 * Layer unpack for Node: {@link unpackLayer} is `unpack_core.ts`'s
 * streaming unpack with Node's sha256. The browser uses `unpackLayerWith`
 * and its own hasher.
 */
import type { ByteSource } from './decompress.js';
import { Digester } from '../content/digest.js';
import { unpackLayerWith, type UnpackOptions, type UnpackResult } from './unpack_core.js';

export { DEFAULT_UNPACK_LIMITS, SlabAllocator, type UnpackLimits, type UnpackOptions, type UnpackResult } from './unpack_core.js';

/** Unpack one layer stream into a LayerTree; throws UnpackError and publishes nothing on failure. */
export function unpackLayer(src: ByteSource, opts: UnpackOptions = {}): Promise<UnpackResult> {
  return unpackLayerWith(src, () => new Digester(), opts);
}
