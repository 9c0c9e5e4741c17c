/*
 * stdio: the three standard fds. fdstat on 0/1/2; stdin delivers what the
 * harness pipes in (STDIN_EXPECT); stderr is separate from stdout;
 * fd_renumber as dup2: moving stdout to another fd, writing through it,
 * moving it back onto the closed fd 1 (as yosys does); onto an fd number
 * never opened above 2 it is EBADF (as wasmtime); finally close(1) makes
 * writes fail with EBADF. The last checks are reported on stderr, since stdout is gone.
 */
#include <wasi/api.h>

#include "tap.h"

static void fdstats(void) {
  for (int fd = 0; fd <= 2; fd++) {
    __wasi_fdstat_t st;
    char name[64];
    snprintf(name, sizeof name, "fd_fdstat_get on fd %d", fd);
    check_wasi(name, __wasi_fd_fdstat_get((__wasi_fd_t)fd, &st), 0);
  }
  check_int("a zero-length write to stdout", write(1, "", 0), 0);
  tap_fd = 2;
  check("stderr is writable", 1, "");
  tap_fd = 1;
}

static void input(void) {
  const char *want = getenv("STDIN_EXPECT");
  if (!want) return;
  static char buf[65536];
  size_t got = 0;
  for (;;) {
    ssize_t r = read(0, buf + got, sizeof buf - 1 - got);
    if (r < 0) {
      check("reading stdin", 0, "expected data got %s", tap_errname(errno));
      return;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  buf[got] = 0;
  check_int("stdin length", (long long)got, (long long)strlen(want));
  check_str("stdin content", buf, want);
  check_int("stdin stays at EOF", read(0, buf, 1), 0);
}

static void renumber(const char *d) {
  int a = open(P(d, "placeholder"), O_WRONLY | O_CREAT, 0644);
  check_ok("open a file to renumber onto", a);
  check_wasi("fd_renumber from a closed fd is EBADF", __wasi_fd_renumber(1234, (__wasi_fd_t)a), __WASI_ERRNO_BADF);
  check_wasi("fd_renumber onto itself", __wasi_fd_renumber((__wasi_fd_t)a, (__wasi_fd_t)a), 0);

  __wasi_errno_t e = __wasi_fd_renumber(1, (__wasi_fd_t)a);
  if (e == 0) tap_fd = a;
  check_wasi("fd_renumber(1, fd) moves stdout", e, 0);
  check("output continues through the new fd", 1, "");
  check_err("write to fd 1 after it moved is EBADF", write(1, "x", 1), EBADF);
  struct stat st;
  check_int("the file that held the target fd was closed, not written", stat(P(d, "placeholder"), &st) == 0 ? st.st_size : -1, 0);

  e = __wasi_fd_renumber((__wasi_fd_t)a, 1);
  if (e == 0) tap_fd = 1;
  check_wasi("fd_renumber back onto the closed fd 1", e, 0);
  if (e == 0)
    check_err("the source fd is closed after fd_renumber", write(a, "x", 1), EBADF);
  else
    check("the source fd is closed after fd_renumber", 0, "fd_renumber failed");

  e = __wasi_fd_renumber((__wasi_fd_t)tap_fd, 7);
  if (e == 0) tap_fd = 7;
  check_wasi("fd_renumber onto an fd number never opened (above 2) is EBADF", e, __WASI_ERRNO_BADF);
  e = tap_fd == 1 ? 0 : __wasi_fd_renumber((__wasi_fd_t)tap_fd, 1);
  if (e == 0) tap_fd = 1;
  check_wasi("and back to 1", e, 0);
}

static void close_stdout(void) {
  if (tap_fd != 1) {
    tap_note("stdout is still on fd %d: skipping close(1)", tap_fd);
    return;
  }
  int rc = close(1);
  tap_fd = 2;
  check_int("close(1)", rc, 0);
  check_err("write to fd 1 after close(1) is EBADF", write(1, "lost\n", 5), EBADF);
  int prc = printf("lost too\n");
  int frc = fflush(stdout);
  check("printf to a closed stdout fails", prc < 0 || frc == EOF, "expected an error from printf or fflush");
  check_wasi("fd_fdstat_get on the closed fd 1 is EBADF", ({
               __wasi_fdstat_t st;
               __wasi_fd_fdstat_get(1, &st);
             }),
             __WASI_ERRNO_BADF);
  check("stderr still works after close(1)", 1, "");
}

int main(void) {
  const char *d = tap_scratch("stdio");
  fdstats();
  input();
  renumber(d);
  close_stdout();
  return tap_done();
}
