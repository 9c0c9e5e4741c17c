/*
 * tap.h: the tiny self-checking harness every wasm/ test program uses.
 *
 * Each check prints exactly one line, `ok - NAME` or
 * `not ok - NAME: expected X got Y`, written with a direct write(2) so that
 * nothing is lost or reordered by stdio buffering. A program ends with
 * `return tap_done();`, which exits 1 if any check failed.
 *
 * Lines are deterministic: they never contain timings, addresses, inode
 * numbers or random values, so that two runtimes can be compared line by line.
 */
#ifndef WASMVISOR_TAP_H
#define WASMVISOR_TAP_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAP_UNUSED __attribute__((unused))

/* The fd checks are reported on; stdio.c moves it when it renumbers fd 1. */
static int tap_fd = 1;
static int tap_failures = 0;
static int tap_checks = 0;

/* The spec spelling of an errno value, for messages. */
TAP_UNUSED static const char *tap_errname(int e) {
  switch (e) {
    case 0: return "success";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOBUFS: return "ENOBUFS";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTSUP: return "ENOTSUP";
    case ENOTTY: return "ENOTTY";
    case ENXIO: return "ENXIO";
    case EOVERFLOW: return "EOVERFLOW";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "errno %d", e);
      return buf;
    }
  }
}

/* Write a whole string to `fd`, ignoring errors (there is nowhere to report them). */
TAP_UNUSED static void tap_write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* printf to the report fd. */
TAP_UNUSED __attribute__((format(printf, 1, 2))) static void tap_printf(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  tap_write_all(tap_fd, buf, (size_t)n);
}

/* Record one check; `fmt` describes the failure ("expected X got Y"). */
TAP_UNUSED __attribute__((format(printf, 3, 4))) static int check(const char *name, int cond, const char *fmt, ...) {
  tap_checks++;
  if (cond) {
    tap_printf("ok - %s\n", name);
    return 1;
  }
  tap_failures++;
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  tap_printf("not ok - %s: %s\n", name, why);
  return 0;
}

/* A check whose only detail is the condition itself. */
#define CHECK(name, cond) check((name), (cond), "expected %s", #cond)

/* `got == want` for integers. */
TAP_UNUSED static int check_int(const char *name, long long got, long long want) {
  return check(name, got == want, "expected %lld got %lld", want, got);
}

/* A libc call that must succeed (returns >= 0). */
TAP_UNUSED static int check_ok(const char *name, long long ret) {
  int e = errno;
  return check(name, ret >= 0, "expected success got %s", tap_errname(e));
}

/*
 * A libc call that must fail with errno `want`, or `alt` / `alt2` where the
 * standards allow several answers (pass 0 for none).
 */
TAP_UNUSED static int check_err3(const char *name, long long ret, int want, int alt, int alt2) {
  int e = errno;
  char exp[96];
  snprintf(exp, sizeof exp, "%s", tap_errname(want));
  if (alt) snprintf(exp + strlen(exp), sizeof exp - strlen(exp), " or %s", tap_errname(alt));
  if (alt2) snprintf(exp + strlen(exp), sizeof exp - strlen(exp), " or %s", tap_errname(alt2));
  if (ret >= 0) return check(name, 0, "expected %s got success", exp);
  return check(name, e == want || (alt && e == alt) || (alt2 && e == alt2), "expected %s got %s", exp, tap_errname(e));
}

/* A libc call that must fail with errno `want` or `alt`. */
TAP_UNUSED static int check_err2(const char *name, long long ret, int want, int alt) {
  return check_err3(name, ret, want, alt, 0);
}

/* A libc call that must fail with errno `want`. */
TAP_UNUSED static int check_err(const char *name, long long ret, int want) {
  return check_err2(name, ret, want, 0);
}

/* A raw __wasi_* call's return value must be `want`. */
TAP_UNUSED static int check_wasi(const char *name, int got, int want) {
  char g[32];
  snprintf(g, sizeof g, "%s", tap_errname(got));
  return check(name, got == want, "expected %s got %s", tap_errname(want), g);
}

/* A raw __wasi_* call's return value must be `want` or `alt` (where the standards allow both). */
TAP_UNUSED static int check_wasi2(const char *name, int got, int want, int alt) {
  char g[32], w[32];
  snprintf(g, sizeof g, "%s", tap_errname(got));
  snprintf(w, sizeof w, "%s", tap_errname(want));
  return check(name, got == want || got == alt, "expected %s or %s got %s", w, tap_errname(alt), g);
}

/* Two strings must be equal (NULL allowed). */
TAP_UNUSED static int check_str(const char *name, const char *got, const char *want) {
  int same = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;
  return check(name, same, "expected \"%s\" got \"%s\"", want ? want : "(null)", got ? got : "(null)");
}

/*
 * Should the checks named `name` be skipped? TAP_SKIP holds a `;`-separated
 * list of check names; the differential tests use it to keep node:wasi away
 * from calls it hangs on. A skipped check prints `ok - NAME # SKIP`.
 */
TAP_UNUSED static int tap_skip(const char *name) {
  const char *list = getenv("TAP_SKIP");
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) {
      tap_printf("ok - %s # SKIP\n", name);
      return 1;
    }
    p = end ? end + 1 : NULL;
  }
  return 0;
}

/* A comment line, ignored by the harness; keep it deterministic too. */
TAP_UNUSED __attribute__((format(printf, 1, 2))) static void tap_note(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  tap_printf("# %s\n", buf);
}

/* The exit status: 0 when every check passed. */
TAP_UNUSED static int tap_done(void) {
  tap_printf("# %d checks, %d failed\n", tap_checks, tap_failures);
  return tap_failures ? 1 : 0;
}

/* Remove `path` and everything under it; errors are ignored. */
TAP_UNUSED static void tap_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        tap_rm_rf(child);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

/*
 * A fresh, empty scratch directory for this program: `$SCRATCH/NAME` when
 * SCRATCH is set, else `/wv-NAME`. Exits 2 if it cannot be made.
 */
TAP_UNUSED static const char *tap_scratch(const char *name) {
  static char dir[512];
  const char *base = getenv("SCRATCH");
  if (base && *base)
    snprintf(dir, sizeof dir, "%s/%s", base, name);
  else
    snprintf(dir, sizeof dir, "/wv-%s", name);
  tap_rm_rf(dir);
  if (mkdir(dir, 0755) != 0) {
    tap_printf("not ok - scratch directory %s: %s\n", dir, tap_errname(errno));
    exit(2);
  }
  return dir;
}

/* `dir/name` in a rotating static buffer: only 8 results live at once, so never keep one. */
TAP_UNUSED static const char *P(const char *dir, const char *name) {
  static char bufs[8][512];
  static int next = 0;
  char *b = bufs[next];
  next = (next + 1) % 8;
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

/* Write a whole file with `content`; returns 0 or -1. */
TAP_UNUSED static int tap_write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  size_t n = strlen(content);
  ssize_t w = write(fd, content, n);
  close(fd);
  return w == (ssize_t)n ? 0 : -1;
}

/* Read a whole (small) file into a static buffer; NULL on error. */
TAP_UNUSED static const char *tap_read_file(const char *path) {
  static char buf[4096];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return NULL;
  buf[n] = 0;
  return buf;
}

#endif
