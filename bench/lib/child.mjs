/**
 * bench/lib/child: run a script in a fresh Node process (one process per
 * measurement keeps JIT state, GC pressure and leftover memory of one run
 * out of the next) and collect its output.
 */
import { spawn } from 'node:child_process';

/**
 * Run `node [nodeFlags] script [args]`. Resolves
 * `{ code, signal, stdout, stderr, ns }` (ns: wall time of the child);
 * never rejects for a non-zero exit. `timeoutMs` kills the child (SIGKILL)
 * and reports `signal: 'SIGKILL'`, `timedOut: true`.
 */
export function runNodeChild(script, args = [], { nodeFlags = [], timeoutMs = 600_000, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ns: Number(process.hrtime.bigint() - t0),
      });
    });
  });
}
