#!/usr/bin/env -S node --
// the bundle in dist/bundle/ through V8's code cache when it is fresh, else dist/src/ (launch.js)
import('./launch.js').then((l) => l.launch('wasmvisor', 'src/cli/wasmvisor.js')).then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor: ${err?.message ?? err}\n`); process.exit(125); },
);
