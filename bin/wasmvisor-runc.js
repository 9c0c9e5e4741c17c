#!/usr/bin/env -S node --
// the bundle in dist/bundle/ through V8's code cache when it is fresh, else dist/src/ (launch.js)
'use strict';
require('./launch.js').launch('wasmvisor_runc', 'src/cli/runc/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor-runc: ${err?.message ?? err}\n`); process.exit(1); },
);
