/*
 * devices: the container's /dev and /proc. /dev/null swallows writes and
 * reads as EOF; /dev/zero reads zeros; /dev/full refuses writes with ENOSPC;
 * /dev/urandom and /dev/random give varying bytes; /dev/stdout and
 * /dev/stderr reach the task's own stdio; /dev/fd lists open fds.
 * /proc/self/cmdline holds argv (the case passes `one two`), /proc/self/environ
 * the environment (DEVICES_MARK=present), /proc/mounts names /dev and /proc,
 * /proc/uptime and /proc/meminfo parse.
 */
#include "tap.h"

static int read_all(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t got = 0;
  for (;;) {
    ssize_t r = read(fd, buf + got, cap - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
    if (got == cap - 1) break;
  }
  close(fd);
  buf[got] = 0;
  return (int)got;
}

static void dev(void) {
  struct stat st;
  const char *chr[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
  for (unsigned i = 0; i < sizeof chr / sizeof chr[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s is a character device", chr[i]);
    check(name, stat(chr[i], &st) == 0 && S_ISCHR(st.st_mode), "expected S_IFCHR");
  }
  char buf[4096];
  int fd = open("/dev/null", O_RDWR);
  check_ok("open /dev/null", fd);
  check_int("a write to /dev/null succeeds in full", write(fd, "discard me", 10), 10);
  check_int("a read from /dev/null is EOF", read(fd, buf, sizeof buf), 0);
  close(fd);

  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 0x55, sizeof buf);
  check_int("a read from /dev/zero fills the buffer", read(fd, buf, sizeof buf), sizeof buf);
  int zeros = 1;
  for (size_t i = 0; i < sizeof buf; i++) zeros &= buf[i] == 0;
  check("/dev/zero reads zeros", zeros, "expected only zero bytes");
  close(fd);

  fd = open("/dev/full", O_RDWR);
  check_err("a write to /dev/full is ENOSPC", write(fd, "x", 1), ENOSPC);
  memset(buf, 0x55, 16);
  check_int("a read from /dev/full gives zeros", read(fd, buf, 16), 16);
  check("/dev/full reads zeros", buf[0] == 0 && buf[15] == 0, "expected zero bytes");
  close(fd);

  unsigned char a[32], b[32];
  fd = open("/dev/urandom", O_RDONLY);
  check_int("read 32 bytes of /dev/urandom", read(fd, a, sizeof a), 32);
  read(fd, b, sizeof b);
  check("/dev/urandom gives different bytes each time", memcmp(a, b, sizeof a) != 0, "expected different bytes");
  close(fd);
  fd = open("/dev/random", O_RDONLY);
  check_int("read 32 bytes of /dev/random", read(fd, a, sizeof a), 32);
  close(fd);

  fd = open("/dev/stdout", O_WRONLY);
  check_ok("open /dev/stdout", fd);
  const char *line = "ok - a line written through /dev/stdout\n";
  /* the line itself is a check that passes only if it reaches stdout */
  ssize_t w = write(fd, line, strlen(line));
  tap_checks++;
  if (w != (ssize_t)strlen(line)) {
    tap_checks--;
    check("write through /dev/stdout", 0, "expected %zu bytes got %zd", strlen(line), w);
  }
  close(fd);
  char target[64] = {0};
  check("/dev/stdout is a symlink to fd/1", readlink("/dev/stdout", target, sizeof target - 1) > 0 && strstr(target, "fd/1") != NULL,
        "expected a link to fd/1 got \"%s\"", target);

  DIR *d = opendir("/dev/fd");
  int has0 = 0, has1 = 0, has2 = 0;
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      has0 |= strcmp(e->d_name, "0") == 0;
      has1 |= strcmp(e->d_name, "1") == 0;
      has2 |= strcmp(e->d_name, "2") == 0;
    }
    closedir(d);
  }
  check("/dev/fd lists 0, 1 and 2", has0 && has1 && has2, "expected 0, 1 and 2");
}

static void proc(void) {
  static char buf[16384];
  int n = read_all("/proc/self/cmdline", buf, sizeof buf);
  check("/proc/self/cmdline can be read", n > 0, "expected content got %s", tap_errname(errno));
  /* argv0 NUL one NUL two NUL */
  const char *arg1 = n > 0 ? buf + strlen(buf) + 1 : "";
  check_str("/proc/self/cmdline holds argv[1]", arg1, "one");
  check_str("/proc/self/cmdline holds argv[2]", arg1 + strlen(arg1) + 1, "two");
  check("/proc/self/cmdline ends with a NUL", n > 0 && buf[n - 1] == 0, "expected a trailing NUL");

  n = read_all("/proc/self/environ", buf, sizeof buf);
  int found = 0;
  for (int i = 0; i < n; i += (int)strlen(buf + i) + 1) found |= strcmp(buf + i, "DEVICES_MARK=present") == 0;
  check("/proc/self/environ holds the environment", found, "expected DEVICES_MARK=present");

  n = read_all("/proc/mounts", buf, sizeof buf);
  check("/proc/mounts names /dev", n > 0 && strstr(buf, " /dev ") != NULL, "expected a /dev line");
  check("/proc/mounts names /proc", n > 0 && strstr(buf, " /proc ") != NULL, "expected a /proc line");

  n = read_all("/proc/uptime", buf, sizeof buf);
  double up = -1, idle = -1;
  check("/proc/uptime has two numbers", n > 0 && sscanf(buf, "%lf %lf", &up, &idle) == 2 && up >= 0, "expected \"UP IDLE\"");
  n = read_all("/proc/meminfo", buf, sizeof buf);
  long total = -1;
  check("/proc/meminfo has MemTotal", n > 0 && sscanf(buf, "MemTotal: %ld kB", &total) == 1 && total > 0, "expected \"MemTotal: N kB\"");

  struct stat st;
  check("/proc/self is a symlink", lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode), "expected S_IFLNK");
  check("/proc/self/fd/1 exists", lstat("/proc/self/fd/1", &st) == 0, "expected an entry for fd 1");
  /* Linux says ENOENT, other kernels EACCES, EPERM or EROFS: only "it fails" is common ground */
  int fd = open("/proc/self/newfile", O_WRONLY | O_CREAT, 0644);
  int e = errno;
  check("no file can be created in /proc", fd < 0 && (e == ENOENT || e == EACCES || e == EPERM || e == EROFS),
        "expected a failure got %s", fd >= 0 ? "success" : tap_errname(e));
}

int main(void) {
  dev();
  proc();
  return tap_done();
}
