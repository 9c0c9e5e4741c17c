/*
 * filestat COUNT [DIR]: creates DIR/bench-stat (if missing), then COUNT
 * times path_filestat_get(DIR fd, "bench-stat"), checking the size.
 * DIR defaults to /tmp. Phase reported: path_filestat_get.
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

#define NAME "bench-stat"

int main(int argc, char **argv) {
  if (argc < 2) bench_fail("usage: filestat COUNT [DIR]", EINVAL);
  uint64_t count = bench_count(argv[1]);
  const char *dir = argc > 2 ? argv[2] : "/tmp";
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) bench_fail(dir, errno);
  int f = openat(dfd, NAME, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) bench_fail("create " NAME, errno);
  if (write(f, "bench\n", 6) != 6) bench_fail("write " NAME, errno);
  close(f);

  uint64_t t0 = bench_now();
  for (uint64_t i = 0; i < count; i++) {
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_path_filestat_get((__wasi_fd_t)dfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, NAME, &st);
    if (e != 0) bench_fail_wasi("path_filestat_get", e);
    if (st.size != 6) bench_fail("path_filestat_get: wrong size", EIO);
  }
  uint64_t t1 = bench_now();
  bench_report("path_filestat_get", count, t1 - t0);
  return 0;
}
