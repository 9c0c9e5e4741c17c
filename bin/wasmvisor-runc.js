#!/usr/bin/env -S node --
// the bundle in dist/bundle/ through V8's code cache when it is fresh, else dist/src/ (launch.js); a `run`
// command line (the first word after the global flags, as program.ts's commandOf) starts from the bundle of `run` alone
'use strict';
const argv = process.argv.slice(2);
const valued = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);
let command;
for (let i = 0; i < argv.length && command === undefined; i++) {
  if (!argv[i].startsWith('-')) command = argv[i];
  else if (valued.has(argv[i])) i++;
}
const [name, entry] = command === 'run' ? ['wasmvisor_runc_run', 'src/cli/runc/run_main.js'] : ['wasmvisor_runc', 'src/cli/runc/main.js'];
require('./launch.js').launch(name, entry).then((m) => m.main(argv)).then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor-runc: ${err?.message ?? err}\n`); process.exit(1); },
);
