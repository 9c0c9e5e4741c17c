/*
 * exit_codes: how a program ends, chosen by argv[1]:
 *   exit N          exit(N) after one check line
 *   return N        return N from main
 *   flush           printf without a newline, then exit(5): stdio is flushed
 *   atexit          an atexit handler runs, then exit(3)
 *   abort           abort(): a trap (128 + SIGABRT = 134 in podman terms)
 *   trap            __builtin_trap(): an `unreachable` trap
 *   raise_term      raise(SIGTERM) with wasi-libc's emulated signals
 *   proc_raise_term the raw proc_raise(SIGTERM): the kernel's default action
 * Each mode prints `ok - ...` lines first, so output order can be checked.
 */
// build: -D_WASI_EMULATED_SIGNAL -lwasi-emulated-signal
#include <signal.h>
#include <wasi/api.h>

#include "tap.h"

/* proc_raise is no longer declared by <wasi/api.h>: import it directly. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t raw_proc_raise(int32_t sig);
#define WASI_SIGNAL_TERM 15

static void on_exit_handler(void) { tap_printf("ok - atexit handler ran\n"); }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  int n = argc > 2 ? atoi(argv[2]) : 0;
  tap_printf("ok - mode %s %d\n", mode, n);
  if (strcmp(mode, "exit") == 0) exit(n);
  if (strcmp(mode, "return") == 0) return n;
  if (strcmp(mode, "flush") == 0) {
    printf("buffered text without a newline");
    exit(5);
  }
  if (strcmp(mode, "atexit") == 0) {
    atexit(on_exit_handler);
    exit(3);
  }
  if (strcmp(mode, "abort") == 0) abort();
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "raise_term") == 0) {
    raise(SIGTERM);
    tap_printf("not ok - raise(SIGTERM) returned\n");
    return 1;
  }
  if (strcmp(mode, "proc_raise_term") == 0) {
    int32_t e = raw_proc_raise(WASI_SIGNAL_TERM);
    tap_printf("not ok - proc_raise(SIGTERM) returned %d\n", e);
    return 1;
  }
  tap_printf("not ok - unknown mode %s\n", mode);
  return 2;
}
