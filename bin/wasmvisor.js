#!/usr/bin/env -S node --
// the bundle in dist/bundle/ through V8's code cache when it is fresh, else dist/src/ (launch.js); a `run`
// command line (`[--root DIR] run …`, as run_main.ts's isRunCommandLine) starts from the bundle of `run` alone
'use strict';
const argv = process.argv.slice(2);
const at = argv[0] === '--root' ? 2 : argv[0]?.startsWith('--root=') ? 1 : 0;
const [name, entry] = argv[at] === 'run' ? ['wasmvisor_run', 'src/cli/run_main.js'] : ['wasmvisor', 'src/cli/wasmvisor.js'];
require('./launch.js').launch(name, entry).then((m) => m.main(argv)).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor: ${err?.message ?? err}\n`); process.exit(125); },
);
