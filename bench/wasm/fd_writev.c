/*
 * fd_writev COUNT [TARGET]: COUNT fd_write calls of two iovecs, the shape
 * wasi-libc's stdio gives `printf("hello %s\n", "world")` on a line-buffered
 * FILE: the bytes buffered so far (11, in the FILE's buffer) and the bytes
 * that complete the line (1, elsewhere in memory). TARGET as in fd_write.c
 * (default /dev/null, or `fd:N`). Phase reported: fd_writev.
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

static char file_buf[1024] = "hello world";
static const char newline[] = "\n";

int main(int argc, char **argv) {
  if (argc < 2) bench_fail("usage: fd_writev COUNT [PATH|fd:N]", EINVAL);
  uint64_t count = bench_count(argv[1]);
  const char *target = argc > 2 ? argv[2] : "/dev/null";
  int fd = bench_target_fd(target);
  __wasi_ciovec_t iovs[2] = {
    {.buf = (const uint8_t *)file_buf, .buf_len = 11},
    {.buf = (const uint8_t *)newline, .buf_len = 1},
  };
  uint64_t t0 = bench_now();
  for (uint64_t i = 0; i < count; i++) {
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_write((__wasi_fd_t)fd, iovs, 2, &n);
    if (e != 0 || n != 12) bench_fail_wasi("fd_write", e ? e : EIO);
  }
  uint64_t t1 = bench_now();
  bench_report("fd_writev", count, t1 - t0);
  return 0;
}
