/*
 * open_close COUNT [DIR]: creates DIR/bench-open (if missing), then COUNT
 * times path_open(DIR fd, "bench-open", read-only) + fd_close.
 * DIR defaults to /tmp. Phase reported: open_close.
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

#define NAME "bench-open"

int main(int argc, char **argv) {
  if (argc < 2) bench_fail("usage: open_close COUNT [DIR]", EINVAL);
  uint64_t count = bench_count(argv[1]);
  const char *dir = argc > 2 ? argv[2] : "/tmp";
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) bench_fail(dir, errno);
  int f = openat(dfd, NAME, O_WRONLY | O_CREAT, 0644);
  if (f < 0) bench_fail("create " NAME, errno);
  if (write(f, "bench\n", 6) != 6) bench_fail("write " NAME, errno);
  close(f);

  uint64_t t0 = bench_now();
  for (uint64_t i = 0; i < count; i++) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)dfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, NAME, 0,
                                        __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (e != 0) bench_fail_wasi("path_open", e);
    e = __wasi_fd_close(fd);
    if (e != 0) bench_fail_wasi("fd_close", e);
  }
  uint64_t t1 = bench_now();
  bench_report("open_close", count, t1 - t0);
  return 0;
}
