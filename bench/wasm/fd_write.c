/*
 * fd_write COUNT [TARGET]: COUNT one-byte fd_write calls.
 * TARGET is a path opened write-only (default /dev/null), or `fd:N` to write
 * to an fd the host already opened (the harness's substitute on a host with
 * no /dev/null). Phase reported: fd_write.
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) bench_fail("usage: fd_write COUNT [PATH|fd:N]", EINVAL);
  uint64_t count = bench_count(argv[1]);
  const char *target = argc > 2 ? argv[2] : "/dev/null";
  int fd = bench_target_fd(target);
  const char byte = 'x';
  __wasi_ciovec_t iov = {.buf = (const uint8_t *)&byte, .buf_len = 1};
  uint64_t t0 = bench_now();
  for (uint64_t i = 0; i < count; i++) {
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_write((__wasi_fd_t)fd, &iov, 1, &n);
    if (e != 0 || n != 1) bench_fail_wasi("fd_write", e ? e : EIO);
  }
  uint64_t t1 = bench_now();
  bench_report("fd_write", count, t1 - t0);
  return 0;
}
