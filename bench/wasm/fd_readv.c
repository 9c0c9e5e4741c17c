/*
 * fd_readv READS PATH create|existing [PASSES]: reads PATH to its end in
 * fd_read calls of two iovecs, the shape wasi-libc's stdio gives
 * `fread(buf, 1, 4096, f)`: 4095 bytes into the caller's buffer and 1024
 * into the FILE's buffer (5119 per call), and checks it held READS * 5119
 * bytes; PASSES times (default 1), reopening the file each pass, so that a
 * small file gives many calls.
 *
 * With `create` the program first writes the file itself in 64 KiB
 * fd_writes (not reported); with `existing` the host provided it
 * (browser_wasi_shim: an in-memory File). Phase reported: fd_readv, all
 * passes in one figure, with READS * PASSES as the count (the reads at EOF,
 * opens and closes are in the time).
 */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

#define USER_LEN 4095
#define FILE_BUF 1024
#define PER_READ (USER_LEN + FILE_BUF)
#define BLOCK (64 * 1024)

static uint8_t block[BLOCK];
static uint8_t user_buf[4096];
static uint8_t file_buf[FILE_BUF];

int main(int argc, char **argv) {
  if (argc < 4) bench_fail("usage: fd_readv READS PATH create|existing [PASSES]", EINVAL);
  uint64_t reads = bench_count(argv[1]);
  const char *path = argv[2];
  int create = strcmp(argv[3], "create") == 0;
  if (!create && strcmp(argv[3], "existing") != 0) bench_fail("mode must be create or existing", EINVAL);
  uint64_t size = reads * PER_READ;
  uint64_t passes = argc > 4 ? bench_count(argv[4]) : 1;

  if (create) {
    for (size_t i = 0; i < BLOCK; i++) block[i] = (uint8_t)(i * 7 + 1);
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w < 0) bench_fail(path, errno);
    for (uint64_t done = 0; done < size;) {
      size_t len = size - done < BLOCK ? (size_t)(size - done) : BLOCK;
      __wasi_ciovec_t iov = {.buf = block, .buf_len = len};
      __wasi_size_t n;
      __wasi_errno_t e = __wasi_fd_write((__wasi_fd_t)w, &iov, 1, &n);
      if (e != 0) bench_fail_wasi("fd_write", e);
      if (n != len) bench_fail("short fd_write", EIO);
      done += n;
    }
    if (close(w) != 0) bench_fail("close", errno);
  }

  __wasi_iovec_t iovs[2] = {
    {.buf = user_buf, .buf_len = USER_LEN},
    {.buf = file_buf, .buf_len = FILE_BUF},
  };
  uint64_t t0 = bench_now();
  for (uint64_t pass = 0; pass < passes; pass++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) bench_fail(path, errno);
    uint64_t total = 0;
    for (;;) {
      __wasi_size_t n;
      __wasi_errno_t e = __wasi_fd_read((__wasi_fd_t)fd, iovs, 2, &n);
      if (e != 0) bench_fail_wasi("fd_read", e);
      if (n == 0) break;
      total += n;
    }
    close(fd);
    if (total != size) {
      printf("BENCH_ERR read %llu bytes, expected %llu\n", (unsigned long long)total, (unsigned long long)size);
      return 3;
    }
  }
  uint64_t t1 = bench_now();
  bench_report("fd_readv", reads * passes, t1 - t0);
  return 0;
}
