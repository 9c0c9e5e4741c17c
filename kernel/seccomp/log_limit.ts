/**
 * The operator log of a container's seccomp events, bounded: a guest that
 * makes a million denied calls must not make the host write a million
 * lines. A token bucket (a burst of 50 lines, then 10 a second) passes
 * lines on; what it drops is counted and said in the next line that passes
 * ("… N more not logged"). Every event is still counted in the filter's
 * stats.
 */

/** Burst and refill of the bucket. */
export const LOG_BURST = 50;
export const LOG_PER_SECOND = 10;

/** A line sink that passes at most LOG_BURST lines at once and LOG_PER_SECOND a second after that. */
export function limitedLog(log: (line: string) => void, nowNs: () => bigint): (line: string) => void {
  let tokens = LOG_BURST;
  let last = nowNs();
  let dropped = 0;
  return (line) => {
    const now = nowNs();
    tokens = Math.min(LOG_BURST, tokens + (Number(now - last) / 1e9) * LOG_PER_SECOND);
    last = now;
    if (tokens < 1) {
      dropped++;
      return;
    }
    tokens -= 1;
    const note = dropped > 0 ? ` (${dropped} more seccomp events before this one were not logged; see stats)` : '';
    dropped = 0;
    log(line + note);
  };
}
