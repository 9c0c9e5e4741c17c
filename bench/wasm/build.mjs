#!/usr/bin/env node
/**
 * Builds every `bench/wasm/*.c` into the committed `bench/wasm/*.wasm` next
 * to it, with the same clang, flags and `--check` as wasm/build.mjs
 * (wasm/build_lib.mjs).
 *
 *   node bench/wasm/build.mjs           rebuild every program in place
 *   node bench/wasm/build.mjs NAME...   rebuild only these (names without .c)
 *   node bench/wasm/build.mjs --check   fail if a committed .wasm is stale
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuildCli } from '../../wasm/build_lib.mjs';

runBuildCli({ dir: dirname(fileURLToPath(import.meta.url)), label: 'bench/wasm/', rebuild: 'npm run build:bench-wasm' });
