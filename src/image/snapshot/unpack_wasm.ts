/**
 * The Wasm OCI artifact's layer (`application/wasm`, or the older
 * `application/vnd.wasm.content.layer.v1+wasm`) is a bare module, not a tar.
 * It becomes a one-file tree: the module at `/<title>`, where title is the
 * layer's `org.opencontainers.image.title` annotation reduced to a safe
 * base name, else {@link DEFAULT_WASM_NAME}; mode 0755, owner root.
 */
import { isWasm } from '../../../kernel/platform/wasm_magic.js';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import type { Descriptor } from '../content/manifest.js';
import { UnpackError } from './unpack_error.js';

/** File name of a Wasm layer's module when the layer has no title. */
export const DEFAULT_WASM_NAME = 'module.wasm';

const TITLE = 'org.opencontainers.image.title';

/** The name a Wasm layer's module gets in its tree. */
export function wasmLayerName(desc: Pick<Descriptor, 'annotations'>): string {
  const title = desc.annotations?.[TITLE];
  if (!title) return DEFAULT_WASM_NAME;
  const base = title.split('/').filter((p) => p !== '' && p !== '.' && p !== '..').pop();
  return base && !base.includes('\0') && !base.startsWith('.wh.') ? base : DEFAULT_WASM_NAME;
}

/** A frozen one-file tree holding the module `bytes` (checked for the `\0asm` magic), copied into `alloc`'s buffer. */
export function wasmLayerTree(
  bytes: Uint8Array,
  desc: Pick<Descriptor, 'annotations' | 'digest'>,
  id: string,
  alloc: (size: number) => Uint8Array = (n) => new Uint8Array(n),
): LayerTree {
  if (!isWasm(bytes)) {
    throw new UnpackError('BAD_TAR', `layer ${desc.digest} is typed as a WebAssembly module but does not start with \\0asm; the artifact is corrupt`);
  }
  const data = alloc(bytes.length);
  data.set(bytes);
  const file = Object.freeze({ kind: 'file' as const, mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, size: data.length, data });
  const root = Object.freeze({ kind: 'dir' as const, mode: 0o755, uid: 0, gid: 0, mtimeNs: 0n, entries: new Map([[wasmLayerName(desc), file]]) });
  return Object.freeze({ id, root, bytes: data.length });
}
