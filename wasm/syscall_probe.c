/*
 * syscall_probe: one system call per argument, each answer on a line of
 * its own, so that a test can see what a seccomp profile let through
 * (test/security/seccomp*.test.ts). Requests:
 *   open:PATH   open O_RDONLY (path_open), then close
 *   creat:PATH  open O_CREAT|O_WRONLY (path_open), then close
 *   write:PATH  open and write 3 bytes "abc" (fd_write)
 *   unlink:PATH unlink (path_unlink_file)
 *   rmdir:PATH  rmdir (path_remove_directory)
 *   mkdir:PATH  mkdir (path_create_directory)
 *   random:N    random_get of N bytes
 *   raise:N     proc_raise(N), a WASI signal number
 *   echo:TEXT   print TEXT (no call but fd_write)
 * Each prints "REQ: ok" or "REQ: error STRERROR".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t raw_proc_raise(int32_t sig);

static void done(const char *req, int r) {
  if (r == 0) printf("%s: ok\n", req);
  else printf("%s: error %s\n", req, strerror(errno));
  fflush(stdout);
}

static void wasi_done(const char *req, int e) {
  errno = e;
  done(req, e == 0 ? 0 : -1);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = strchr(a, ':');
    v = v ? v + 1 : "";
    if (!strncmp(a, "open:", 5) || !strncmp(a, "creat:", 6)) {
      int fd = a[0] == 'o' ? open(v, O_RDONLY) : open(v, O_CREAT | O_WRONLY, 0644);
      done(a, fd < 0 ? -1 : close(fd));
    } else if (!strncmp(a, "write:", 6)) {
      int fd = open(v, O_CREAT | O_WRONLY | O_TRUNC, 0644);
      if (fd < 0) { done(a, -1); continue; }
      ssize_t n = write(fd, "abc", 3);
      int e = errno;
      close(fd);
      errno = e;
      done(a, n == 3 ? 0 : -1);
    } else if (!strncmp(a, "unlink:", 7)) done(a, unlink(v));
    else if (!strncmp(a, "rmdir:", 6)) done(a, rmdir(v));
    else if (!strncmp(a, "mkdir:", 6)) done(a, mkdir(v, 0755));
    else if (!strncmp(a, "random:", 7)) {
      size_t n = strtoul(v, NULL, 10);
      uint8_t *buf = malloc(n ? n : 1);
      wasi_done(a, __wasi_random_get(buf, n));
      volatile uint8_t sink = n ? buf[n - 1] : 0;
      (void)sink;
      free(buf);
    } else if (!strncmp(a, "raise:", 6)) wasi_done(a, raw_proc_raise(atoi(v)));
    else if (!strncmp(a, "echo:", 5)) printf("%s\n", v), fflush(stdout);
    else printf("%s: unknown request\n", a);
  }
  return 0;
}
