/*
 * hog: a tenant that abuses one resource per argument and reports, on one
 * line each, how far it got and what the kernel said: it must stay inside
 * its limits while neighbours keep their share (test/security/
 * tenant_abuse.test.ts, storage_quota.test.ts). Requests:
 *   fill:PATH       write 64 KiB blocks to PATH until a write is short or fails:
 *                   "fill:PATH: wrote N short K then ERR" (K: the short write's count, 0 if none)
 *   fillrm:PATH     remove PATH, then write 1000 bytes to it: "ok" or the error
 *   fds:N           open /dev/null up to N times: how many, then the error
 *   grow:MIB        malloc (and touch) 1 MiB blocks up to MIB: how many MiB
 *   tiny:N          N one-byte writes to /tmp/tiny: how many succeeded
 *   deep:N          nest N directories under /tmp/deep (mkdir + chdir-free, by path): depth reached and the error
 *   loop            a symlink loop /tmp/la -> /tmp/lb -> /tmp/la, then open it: the error
 *   poll:N          poll_oneoff with N subscriptions (a clock and N-1 fd reads of stdin): the errno
 *   args            argc and the bytes of argv and environ
 *   cat:PATH        the first line of PATH (e.g. /sys/fs/cgroup/memory.current)
 * Built small; deterministic output for a given limit.
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

extern char **environ;

static void fill(const char *a, const char *path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) { printf("%s: open %s\n", a, strerror(errno)); return; }
  static char block[65536];
  memset(block, 'x', sizeof block);
  long long total = 0, shortn = 0;
  int err = 0;
  for (;;) {
    ssize_t n = write(fd, block, sizeof block);
    if (n < 0) { err = errno; break; }
    total += n;
    if (n < (ssize_t)sizeof block) { shortn = n; continue; }
  }
  close(fd);
  printf("%s: wrote %lld short %lld then %s\n", a, total, shortn, strerror(err));
}

static void fillrm(const char *a, const char *path) {
  unlink(path);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) { printf("%s: %s\n", a, strerror(errno)); return; }
  char buf[1000];
  memset(buf, 'y', sizeof buf);
  ssize_t n = write(fd, buf, sizeof buf);
  close(fd);
  if (n == (ssize_t)sizeof buf) printf("%s: ok\n", a);
  else printf("%s: %s\n", a, n < 0 ? strerror(errno) : "short");
}

static void fds(const char *a, long max) {
  long n = 0;
  int err = 0;
  for (; n < max; n++) {
    if (open("/dev/null", O_RDONLY) < 0) { err = errno; break; }
  }
  printf("%s: opened %ld then %s\n", a, n, err ? strerror(err) : "stop");
}

static char *volatile keep; /* clang -O2 deletes a malloc whose memory is never read: keep each block reachable */

static void grow(const char *a, long max) {
  long n = 0;
  unsigned sum = 0;
  for (; n < max; n++) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, (int)n, 1 << 20);
    *(char **)p = keep;
    keep = p;
    sum += (unsigned char)p[(1 << 20) - 1];
  }
  printf("%s: allocated %ld MiB%s\n", a, n, sum == 0xffffffffu ? " " : "");
}

static void tiny(const char *a, long count) {
  int fd = open("/tmp/tiny", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) { printf("%s: %s\n", a, strerror(errno)); return; }
  long ok = 0;
  for (long i = 0; i < count; i++) if (write(fd, "z", 1) == 1) ok++;
  close(fd);
  struct stat st;
  stat("/tmp/tiny", &st);
  printf("%s: %ld writes, size %lld\n", a, ok, (long long)st.st_size);
}

static void deep(const char *a, long depth) {
  static char path[8192];
  strcpy(path, "/tmp/deep");
  mkdir(path, 0755);
  long d = 0;
  int err = 0;
  for (; d < depth; d++) {
    size_t l = strlen(path);
    if (l + 3 >= sizeof path) { err = ENAMETOOLONG; break; }
    strcpy(path + l, "/d");
    if (mkdir(path, 0755) != 0) { err = errno; break; }
  }
  printf("%s: depth %ld then %s\n", a, d, err ? strerror(err) : "stop");
}

static void loop(const char *a) {
  symlink("/tmp/lb", "/tmp/la");
  symlink("/tmp/la", "/tmp/lb");
  int fd = open("/tmp/la", O_RDONLY);
  printf("%s: %s\n", a, fd < 0 ? strerror(errno) : "opened");
}

static void pollmany(const char *a, long n) {
  __wasi_subscription_t *subs = calloc(n, sizeof *subs);
  __wasi_event_t *evs = calloc(n, sizeof *evs);
  if (!subs || !evs) { printf("%s: no memory\n", a); return; }
  subs[0].userdata = 0;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 1000000; /* 1 ms */
  for (long i = 1; i < n; i++) {
    subs[i].userdata = i;
    subs[i].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[i].u.u.fd_read.file_descriptor = 0;
  }
  __wasi_size_t got = 0;
  __wasi_errno_t e = __wasi_poll_oneoff(subs, evs, n, &got);
  printf("%s: errno %d events %s\n", a, e, got > 0 ? "some" : "none");
  free(subs);
  free(evs);
}

static void args(const char *a, int argc, char **argv) {
  size_t ab = 0, eb = 0, en = 0;
  for (int i = 0; i < argc; i++) ab += strlen(argv[i]) + 1;
  for (char **e = environ; *e; e++) eb += strlen(*e) + 1, en++;
  printf("%s: argc %d argv %zu bytes env %zu vars %zu bytes\n", a, argc, ab, en, eb);
}

static void cat(const char *a, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) { printf("%s: %s\n", a, strerror(errno)); return; }
  char line[256] = "";
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  fclose(f);
  line[strcspn(line, "\n")] = 0;
  printf("%s: %s\n", a, line);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = strchr(a, ':');
    v = v ? v + 1 : "";
    if (!strncmp(a, "fill:", 5)) fill(a, v);
    else if (!strncmp(a, "fillrm:", 7)) fillrm(a, v);
    else if (!strncmp(a, "fds:", 4)) fds(a, atol(v));
    else if (!strncmp(a, "grow:", 5)) grow(a, atol(v));
    else if (!strncmp(a, "tiny:", 5)) tiny(a, atol(v));
    else if (!strncmp(a, "deep:", 5)) deep(a, atol(v));
    else if (!strcmp(a, "loop")) loop(a);
    else if (!strncmp(a, "poll:", 5)) pollmany(a, atol(v));
    else if (!strcmp(a, "args")) args(a, argc, argv);
    else if (!strncmp(a, "cat:", 4)) cat(a, v);
    else if (a[0] == '-') continue; /* padding for huge argv tests */
    else printf("%s: unknown request\n", a);
    fflush(stdout);
  }
  return 0;
}
