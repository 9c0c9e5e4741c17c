/**
 * `run --log-opt KEY=VALUE` as podman spells it, for the log of a detached
 * container (`ctr.log`, always capped: see runtime/detached/log_file.ts).
 * `max-size=SIZE` (`512k`, `10m`, `1g`, `10mb`; powers of 1024, as `-m`)
 * sets the cap, default 10 MiB; `path=` is refused (the log is always
 * `STORE/containers/ID/ctr.log`, where `logs` reads it); any other key is
 * refused. Both with one line and exit 125.
 */
import { DEFAULT_LOG_MAX_SIZE } from '../../runtime/detached/log_file.js';
import { CliExit, ExitCode } from '../exit.js';

/** Smallest `max-size` taken (one line of output must fit). */
export const MIN_LOG_MAX_SIZE = 1024;

/**
 * Lowers the default cap for tests only (they flood the log for seconds):
 * the same code path as the default, never read outside tests' runs.
 */
const TEST_DEFAULT_ENV = 'WASMVISOR_TEST_LOG_MAX_SIZE';

/** What the `--log-opt` flags ask for. */
export interface LogOptions {
  /** Bytes `ctr.log` never exceeds (it rotates once to `ctr.log.1` past it). */
  maxSize: number;
}

function parseLogSize(v: string, given: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v.trim());
  if (!m) {
    if (/^-1$|^0+$/.test(v.trim())) throw new CliExit(ExitCode.RUNTIME, `invalid --log-opt ${given}: the log of a detached container is always capped; give a size such as 10m`);
    throw new CliExit(ExitCode.RUNTIME, `invalid --log-opt ${given}: give a size such as 512k, 10m or 1g`);
  }
  const n = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  if (n < MIN_LOG_MAX_SIZE) throw new CliExit(ExitCode.RUNTIME, `invalid --log-opt ${given}: the smallest max-size is 1k`);
  return n;
}

/** The default cap (DEFAULT_LOG_MAX_SIZE unless a test lowered it). */
export function defaultLogMaxSize(): number {
  const t = process.env[TEST_DEFAULT_ENV];
  return t ? parseLogSize(t, `${TEST_DEFAULT_ENV}=${t}`) : DEFAULT_LOG_MAX_SIZE;
}

/** Parse the `--log-opt` values (the last `max-size` wins); 125 with one line for a bad one. */
export function parseLogOpts(opts: readonly string[]): LogOptions {
  let maxSize = defaultLogMaxSize();
  for (const o of opts) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const value = eq < 0 ? undefined : o.slice(eq + 1);
    if (key === 'max-size') {
      if (value === undefined || value === '') throw new CliExit(ExitCode.RUNTIME, `invalid --log-opt ${o}: give max-size=SIZE, e.g. max-size=10m`);
      maxSize = parseLogSize(value, o);
    } else if (key === 'path') {
      throw new CliExit(ExitCode.RUNTIME, `--log-opt path is not supported: a detached container logs to STORE/containers/ID/ctr.log, which wasmvisor logs reads`);
    } else {
      throw new CliExit(ExitCode.RUNTIME, `unknown --log-opt ${JSON.stringify(key)}: the only option is max-size=SIZE (e.g. --log-opt max-size=10m)`);
    }
  }
  return { maxSize };
}
