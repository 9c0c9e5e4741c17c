#!/usr/bin/env node
/**
 * Builds the conformance probes (`test/conformance/probes/*.c`) into the
 * committed `.wasm` beside each, with the same clang, flags and `--check`
 * as wasm/build.mjs (wasm/build_lib.mjs).
 *
 *   node test/conformance/probes/build.mjs           rebuild every probe
 *   node test/conformance/probes/build.mjs --check   fail if a committed .wasm is stale
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuildCli } from '../../../wasm/build_lib.mjs';

runBuildCli({
  dir: dirname(fileURLToPath(import.meta.url)),
  label: 'test/conformance/probes/',
  rebuild: 'node test/conformance/probes/build.mjs',
});
