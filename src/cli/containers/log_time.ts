/**
 * Times for `wasmvisor logs -t/--since/--until`, as podman spells them:
 * `-t` prints RFC 3339 with nanoseconds in local time (Go's RFC3339Nano:
 * trailing zeros of the fraction dropped, `Z` for a zero offset); --since
 * and --until take what podman's ParseInputTime takes: RFC3339Nano,
 * RFC3339, `2006-01-02T15:04:05[.999999999]` (UTC), `2006-01-02Z07:00`,
 * `2006-01-02`, Unix seconds (`1700000000.5`), or a Go duration (`10m`,
 * `1h30m`, `500ms`): now minus it for --since, now plus it for --until.
 */
import { nowNs, parseRfc3339Ns } from '../../runtime/detached/log_records.js';
import { CliExit, ExitCode } from '../exit.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `ns` since the epoch as Go's RFC3339Nano in this machine's time zone (podman logs -t). */
export function formatLogTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${date}${frac ? `.${frac}` : ''}${zone}`;
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** A Go duration (`1h30m`, `-2.5s`, `0`) in nanoseconds, or undefined. */
export function parseGoDuration(v: string): bigint | undefined {
  const m = /^([+-]?)(.*)$/.exec(v)!;
  const body = m[2]!;
  if (body === '0') return 0n;
  if (body === '') return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const p = part.exec(body);
    if (!p) return undefined;
    total += Number(p[1]) * Number(UNIT_NS[p[2]!]!);
    at = part.lastIndex;
  }
  const ns = BigInt(Math.round(total));
  return m[1] === '-' ? -ns : ns;
}

/** `--since`/`--until` VALUE in nanoseconds since the epoch; one line and exit 125 for a value podman would refuse. */
export function parseLogTime(flag: '--since' | '--until', v: string): bigint {
  const t = v.trim();
  let ns = parseRfc3339Ns(t);
  if (ns === undefined) {
    // 2006-01-02T15:04:05[.999999999] (UTC), 2006-01-02Z07:00, 2006-01-02
    let m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?$/.exec(t);
    if (m) ns = parseRfc3339Ns(`${m[1]}${m[2] ?? ''}Z`);
    else if ((m = /^(\d{4}-\d\d-\d\d)(Z|[+-]\d\d:\d\d)?$/.exec(t))) ns = parseRfc3339Ns(`${m[1]}T00:00:00${m[2] ?? 'Z'}`);
  }
  if (ns === undefined && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) {
    const [int, frac = ''] = t.replace(/^\+/, '').split('.');
    const sign = int!.startsWith('-') ? -1n : 1n;
    ns = BigInt(int!) * 1_000_000_000n + sign * BigInt((frac.slice(0, 9) || '0').padEnd(9, '0'));
  }
  if (ns === undefined) {
    const d = parseGoDuration(t);
    if (d !== undefined) ns = flag === '--since' ? nowNs() - d : nowNs() + d;
  }
  if (ns === undefined) {
    throw new CliExit(ExitCode.RUNTIME, `invalid ${flag} ${JSON.stringify(v)}: unable to interpret time value; give RFC 3339 (2006-01-02T15:04:05Z), Unix seconds, or a duration such as 10m`);
  }
  return ns;
}
