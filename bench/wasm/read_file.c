/*
 * read_file BLOCKS PATH create|existing [PASSES]: reads PATH to its end in
 * 64 KiB fd_read calls and checks it held BLOCKS * 64 KiB bytes.
 *
 * With `create` the program first writes the file itself (BLOCKS 64 KiB
 * fd_writes, reported as phase `write`), closes it and reopens it for
 * reading; with `existing` the host provided it (browser_wasi_shim: an
 * in-memory File, as a browser would). Only the read loop is phase `read`.
 * PASSES (default 1) reads the file that many times, each pass reported as
 * its own `read` line: for profiling the read path alone.
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

#define BLOCK (64 * 1024)

static uint8_t buf[BLOCK];

int main(int argc, char **argv) {
  if (argc < 4) bench_fail("usage: read_file BLOCKS PATH create|existing [PASSES]", EINVAL);
  uint64_t blocks = bench_count(argv[1]);
  const char *path = argv[2];
  int create = strcmp(argv[3], "create") == 0;
  if (!create && strcmp(argv[3], "existing") != 0) bench_fail("mode must be create or existing", EINVAL);

  if (create) {
    for (size_t i = 0; i < BLOCK; i++) buf[i] = (uint8_t)(i * 7 + 1);
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w < 0) bench_fail(path, errno);
    __wasi_ciovec_t iov = {.buf = buf, .buf_len = BLOCK};
    uint64_t t0 = bench_now();
    for (uint64_t i = 0; i < blocks; i++) {
      __wasi_size_t n;
      __wasi_errno_t e = __wasi_fd_write((__wasi_fd_t)w, &iov, 1, &n);
      if (e != 0) bench_fail_wasi("fd_write", e);
      if (n != BLOCK) bench_fail("short fd_write", EIO);
    }
    uint64_t t1 = bench_now();
    if (close(w) != 0) bench_fail("close", errno);
    bench_report("write", blocks, t1 - t0);
  }

  uint64_t passes = argc > 4 ? bench_count(argv[4]) : 1;
  for (uint64_t pass = 0; pass < passes; pass++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) bench_fail(path, errno);
    __wasi_iovec_t iov = {.buf = buf, .buf_len = BLOCK};
    uint64_t total = 0;
    uint64_t t0 = bench_now();
    for (;;) {
      __wasi_size_t n;
      __wasi_errno_t e = __wasi_fd_read((__wasi_fd_t)fd, &iov, 1, &n);
      if (e != 0) bench_fail_wasi("fd_read", e);
      if (n == 0) break;
      total += n;
    }
    uint64_t t1 = bench_now();
    close(fd);
    if (total != blocks * BLOCK) {
      printf("BENCH_ERR read %llu bytes, expected %llu\n", (unsigned long long)total,
             (unsigned long long)(blocks * BLOCK));
      return 3;
    }
    /* The count is the number of full 64 KiB reads; the final read at EOF is in the time. */
    bench_report("read", blocks, t1 - t0);
  }
  return 0;
}
