/*
 * bench.h: shared helpers for the bench/wasm/ programs.
 *
 * Every program times its measured loop itself, inside the guest, with
 * CLOCK_MONOTONIC, so the figure is the same kind of number on every host and
 * excludes start-up, compilation and setup. It reports on stdout, one line
 * per phase:
 *
 *   BENCH <phase> <count> <nanoseconds>
 *
 * and on failure one line `BENCH_ERR <what>: <strerror>` (exit 3), which the
 * harness (bench/syscalls.mjs) shows.
 *
 * The measured loops call the WASI imports directly (<wasi/api.h>), not libc,
 * so that each iteration is exactly the syscalls named (wasi-libc's open()
 * would add an fd_fdstat_get per call, for instance).
 */
#ifndef WASMVISOR_BENCH_H
#define WASMVISOR_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasi/api.h>
#include <fcntl.h>

/* Monotonic time in nanoseconds. */
static inline uint64_t bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Report one measured phase. */
static void bench_report(const char *phase, uint64_t count, uint64_t ns) {
  printf("BENCH %s %llu %llu\n", phase, (unsigned long long)count, (unsigned long long)ns);
  fflush(stdout);
}

/* Report a failure with a libc errno and exit 3. */
static void bench_fail(const char *what, int err) {
  printf("BENCH_ERR %s: %s\n", what, strerror(err));
  fflush(stdout);
  exit(3);
}

/* Report a failure with a WASI errno and exit 3. */
static void bench_fail_wasi(const char *what, __wasi_errno_t err) {
  bench_fail(what, (int)err); /* wasi-libc's errno values are the WASI ones */
}

/* Parse a positive count argument, or fail. */
static uint64_t bench_count(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v == 0) {
    printf("BENCH_ERR bad count: %s\n", s);
    exit(2);
  }
  return v;
}

/*
 * The fd to write to for TARGET: a path opened write-only, or `fd:N` for an
 * fd the host already opened (the harness's substitute on a host with no
 * /dev/null). Needs <fcntl.h>.
 */
static int bench_target_fd(const char *target) {
  if (strncmp(target, "fd:", 3) == 0) return atoi(target + 3);
  int fd = open(target, O_WRONLY);
  if (fd < 0) bench_fail(target, errno);
  return fd;
}

#endif
