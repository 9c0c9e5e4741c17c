#!/usr/bin/env node
/**
 * Builds every `wasm/*.c` into the committed `wasm/*.wasm` next to it
 * (build_lib.mjs has the flags and the check).
 *
 *   node wasm/build.mjs            rebuild every program in place
 *   node wasm/build.mjs NAME...    rebuild only these (file names without .c)
 *   node wasm/build.mjs --check    rebuild into a temp dir; fail if a committed
 *                                  .wasm differs from its source, is missing,
 *                                  or has no source
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuildCli } from './build_lib.mjs';

runBuildCli({ dir: dirname(fileURLToPath(import.meta.url)), label: 'wasm/', rebuild: 'npm run build:wasm' });
