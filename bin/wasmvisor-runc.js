#!/usr/bin/env -S node --
import('../dist/src/cli/runc/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor-runc: ${err?.message ?? err}\n`); process.exit(1); },
);
