/** Entry of a detached exec relay (see exec_relay.ts): exits with the exec's code. */
import { relayExec, type ExecArgs } from './exec_relay.js';
import { reportReady } from './spawn.js';

relayExec(JSON.parse(process.argv[2] ?? '{}') as ExecArgs, () => reportReady({ ok: true })).then(
  (code) => process.exit(code),
  (err: unknown) => {
    reportReady({ ok: false, error: (err as Error).message ?? String(err) });
    process.exit(255);
  },
);
