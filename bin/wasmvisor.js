#!/usr/bin/env -S node --
import('../dist/src/cli/wasmvisor.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor: ${err?.message ?? err}\n`); process.exit(125); },
);
