/*
 * clocks: the four WASI clocks. Realtime is a plausible date and agrees with
 * time() and gettimeofday(); monotonic never goes back and advances across
 * a sleep; process and thread CPU time exist, never go back, and advance
 * during a busy loop; resolutions are sane; a bad clock id is EINVAL.
 */
// build: -D_WASI_EMULATED_PROCESS_CLOCKS -lwasi-emulated-process-clocks
#include <sys/time.h>
#include <time.h>
#include <wasi/api.h>

#include "tap.h"

static long long ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define MS 1000000LL
#define SEC 1000000000LL

static volatile unsigned sink;

/*
 * Burn CPU until the process CPU clock has advanced by `ms` milliseconds, or
 * 10 s of monotonic time have passed (a loaded machine gives us less than a
 * full core); returns the CPU time burnt.
 */
static long long busy(long long ms) {
  long long cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID), end = ns(CLOCK_MONOTONIC) + 10 * SEC;
  while (ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < ms * MS && ns(CLOCK_MONOTONIC) < end)
    for (int i = 0; i < 1000; i++) sink = sink * 31u + (unsigned)i;
  return ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
}

static void realtime(void) {
  long long rt = ns(CLOCK_REALTIME);
  /* 2020-01-01 and 2100-01-01 */
  check("realtime is after 2020", rt > 1577836800LL * SEC, "expected a date after 2020-01-01");
  check("realtime is before 2100", rt < 4102444800LL * SEC, "expected a date before 2100-01-01");
  time_t t = time(NULL);
  check("time() agrees with CLOCK_REALTIME", (long long)t >= rt / SEC - 2 && (long long)t <= rt / SEC + 2, "expected within 2 s");
  struct timeval tv;
  check_int("gettimeofday", gettimeofday(&tv, NULL), 0);
  long long tvns = (long long)tv.tv_sec * SEC + (long long)tv.tv_usec * 1000;
  check("gettimeofday agrees with CLOCK_REALTIME", tvns >= rt - 2 * SEC && tvns <= rt + 2 * SEC, "expected within 2 s");
  check("tv_usec is in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000, "expected 0 <= tv_usec < 1000000");
}

static void monotonic(void) {
  long long prev = ns(CLOCK_MONOTONIC), backwards = 0;
  check("monotonic reads", prev >= 0, "expected a time");
  for (int i = 0; i < 20000; i++) {
    long long now = ns(CLOCK_MONOTONIC);
    if (now < prev) backwards++;
    prev = now;
  }
  check_int("monotonic never goes back over 20000 reads", backwards, 0);
  long long t0 = ns(CLOCK_MONOTONIC);
  struct timespec req = {0, 50 * MS};
  nanosleep(&req, NULL);
  long long el = ns(CLOCK_MONOTONIC) - t0;
  check("monotonic advances across a 50 ms sleep", el >= 50 * MS, "expected >= 50 ms got %lld us", el / 1000);
  check("and not by much more", el < 5 * SEC, "expected < 5 s");
}

static void cputime(void) {
  long long p0 = ns(CLOCK_PROCESS_CPUTIME_ID), t0 = ns(CLOCK_THREAD_CPUTIME_ID);
  clock_t c0 = clock();
  check("CLOCK_PROCESS_CPUTIME_ID reads", p0 >= 0, "expected a time got %s", tap_errname(errno));
  check("CLOCK_THREAD_CPUTIME_ID reads", t0 >= 0, "expected a time got %s", tap_errname(errno));
  check("clock() reads", c0 != (clock_t)-1, "expected a value");
  long long prev = p0, backwards = 0;
  for (int i = 0; i < 5000; i++) {
    long long now = ns(CLOCK_PROCESS_CPUTIME_ID);
    if (now < prev) backwards++;
    prev = now;
  }
  check_int("process CPU time never goes back", backwards, 0);
  long long burnt = busy(50);
  long long p1 = ns(CLOCK_PROCESS_CPUTIME_ID), t1 = ns(CLOCK_THREAD_CPUTIME_ID);
  clock_t c1 = clock();
  check("process CPU time advances in a busy loop", burnt >= 50 * MS, "expected 50 ms within 10 s got %lld us", burnt / 1000);
  check("thread CPU time advances in a busy loop", t1 - t0 >= 25 * MS, "expected >= 25 ms got %lld us", (t1 - t0) / 1000);
  check("process CPU time includes the thread's", p1 - p0 >= t1 - t0 - 5 * MS, "expected process >= thread");
  check("clock() advances in a busy loop", c1 > c0, "expected clock() to grow");
}

static void resolutions(void) {
  const struct { const char *name; clockid_t id; } clocks[] = {
      {"realtime", CLOCK_REALTIME},
      {"monotonic", CLOCK_MONOTONIC},
      {"process CPU time", CLOCK_PROCESS_CPUTIME_ID},
      {"thread CPU time", CLOCK_THREAD_CPUTIME_ID},
  };
  for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    struct timespec r = {-1, -1};
    char name[96];
    snprintf(name, sizeof name, "clock_getres %s", clocks[i].name);
    int rc = clock_getres(clocks[i].id, &r);
    long long v = (long long)r.tv_sec * SEC + r.tv_nsec;
    check(name, rc == 0 && v > 0 && v <= SEC, "expected 0 < resolution <= 1 s got rc %d, %lld ns", rc, v);
  }
  __wasi_timestamp_t t = 0;
  check_wasi("clock_time_get of a bad clock id is EINVAL", __wasi_clock_time_get(99, 0, &t), __WASI_ERRNO_INVAL);
  check_wasi("clock_res_get of a bad clock id is EINVAL", __wasi_clock_res_get(99, &t), __WASI_ERRNO_INVAL);
  check_wasi("clock_time_get with a precision", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1000000, &t), 0);
}

int main(void) {
  realtime();
  monotonic();
  cputime();
  resolutions();
  return tap_done();
}
