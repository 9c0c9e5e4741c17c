#!/usr/bin/env -S node --
// the bundle in dist/bundle/ through V8's code cache when it is fresh, else dist/src/ (launch.js). By the command
// (the first word after the global flags, as program.ts's commandOf): `run` starts from the bundle of `run` alone;
// create, start, state, kill and delete (containerd's shim runs them for every container) from light_main.ts, which
// parses their plain command lines by hand and hands anything else (null) to the full program
'use strict';
const argv = process.argv.slice(2);
const valued = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);
let command;
for (let i = 0; i < argv.length && command === undefined; i++) {
  if (!argv[i].startsWith('-')) command = argv[i];
  else if (valued.has(argv[i])) i++;
}
const { launch } = require('./launch.js');
const full = () => launch('wasmvisor_runc', 'src/cli/runc/main.js').then((m) => m.main(argv));
const light = new Set(['create', 'start', 'state', 'kill', 'delete']);
const run = command === 'run' ? launch('wasmvisor_runc_run', 'src/cli/runc/run_main.js').then((m) => m.main(argv))
  : light.has(command) ? launch('wasmvisor_runc_light', 'src/cli/runc/light_main.js').then((m) => m.main(argv)).then((code) => code ?? full())
  : full();
run.then(
  (code) => process.exit(code ?? 0),
  (err) => { process.stderr.write(`wasmvisor-runc: ${err?.message ?? err}\n`); process.exit(1); },
);
