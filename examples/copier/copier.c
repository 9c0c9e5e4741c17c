/*
 * copier SRC DST: copy a file, handling the errors a real disk gives.
 *  - partial reads (a read may return fewer bytes than asked, EINTR-like):
 *    keep reading until EOF;
 *  - short writes: keep writing the rest of the buffer;
 *  - EINTR/EAGAIN: retry the call;
 *  - ENOSPC (disk full): remove the half-written DST, say so, exit 3;
 *  - SRC missing: exit 2; any other error: exit 1.
 * Prints "copied N bytes" on success.
 *   clang --target=wasm32-wasi -O2 -Wl,--strip-all copier.c -o copier.wasm
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[4096];

/* Write all of p[0..n): short writes continue, EINTR/EAGAIN retry. */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: copier SRC DST\n");
    return 64;
  }
  int in = open(argv[1], O_RDONLY);
  if (in < 0) {
    fprintf(stderr, "copier: %s: %s\n", argv[1], strerror(errno));
    return errno == ENOENT ? 2 : 1;
  }
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    int e = errno;
    fprintf(stderr, "copier: %s: %s\n", argv[2], strerror(e));
    close(in);
    return e == ENOSPC ? 3 : 1;
  }
  long long total = 0;
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fprintf(stderr, "copier: reading %s: %s\n", argv[1], strerror(errno));
      close(in);
      close(out);
      unlink(argv[2]);
      return 1;
    }
    if (r == 0) break;
    if (write_all(out, buf, (size_t)r) < 0) {
      int e = errno;
      fprintf(stderr, "copier: writing %s: %s%s\n", argv[2], strerror(e), e == ENOSPC ? " (disk full; removed the partial copy)" : "");
      close(in);
      close(out);
      unlink(argv[2]);
      return e == ENOSPC ? 3 : 1;
    }
    total += r;
  }
  close(in);
  if (close(out) < 0) {
    fprintf(stderr, "copier: closing %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  printf("copied %lld bytes\n", total);
  return 0;
}
