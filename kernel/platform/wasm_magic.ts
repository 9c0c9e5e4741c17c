/**
 * The one check that bytes are a WebAssembly module: the `\0asm` magic and
 * room for the version word. Everything that takes module bytes (the
 * runtime's module loader, the memory-limit rewriter, image unpack, pack)
 * asks here. Isomorphic, no imports.
 */

/** The four bytes every WebAssembly binary starts with (`\0asm`). */
export const WASM_MAGIC: readonly number[] = Object.freeze([0x00, 0x61, 0x73, 0x6d]);

/** True if `b` starts as a WebAssembly module: the `\0asm` magic and a version word (8 bytes at least). */
export function isWasm(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === WASM_MAGIC[0] && b[1] === WASM_MAGIC[1] && b[2] === WASM_MAGIC[2] && b[3] === WASM_MAGIC[3];
}
