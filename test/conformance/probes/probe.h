/*
 * probe.h: helpers for the conformance probes. Each check prints one line,
 * `ok - NAME` or `not ok - NAME: ...`, straight to fd 1 with fd_write; a
 * probe ends with `return probe_done();` (exit 1 if anything failed).
 * Probes call preview1 directly through <wasi/api.h>.
 */
#ifndef WASMVISOR_PROBE_H
#define WASMVISOR_PROBE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int probe_failures = 0;

static void probe_out(const char *s) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  __wasi_size_t n;
  (void)!__wasi_fd_write(1, &iov, 1, &n);
}

static void probe_line(int good, const char *name, const char *fmt, ...) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s - %s", good ? "ok" : "not ok", name);
  if (!good && fmt) {
    va_list ap;
    va_start(ap, fmt);
    n += snprintf(buf + n, sizeof buf - n, ": ");
    n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
    va_end(ap);
  }
  snprintf(buf + n, sizeof buf - n, "\n");
  if (!good) probe_failures++;
  probe_out(buf);
}

/* A call that must succeed. */
#define OK(name, call) do { __wasi_errno_t e_ = (call); probe_line(e_ == 0, name, "errno %d", e_); } while (0)
/* A call that must fail with `want` (or `alt`, another accepted errno). */
#define FAILS2(name, call, want, alt) do { __wasi_errno_t e_ = (call); \
    probe_line(e_ == (want) || e_ == (alt), name, "want errno %d got %d", want, e_); } while (0)
#define FAILS(name, call, want) FAILS2(name, call, want, want)
/* A condition. */
#define EXPECT(name, cond) probe_line((cond) ? 1 : 0, name, "%s is false", #cond)

static int probe_done(void) { return probe_failures ? 1 : 0; }

/* The preopen whose name is exactly `name`, as Rust's wasi test harness finds it; -1 if none. */
static int probe_preopen(const char *name) {
  for (__wasi_fd_t fd = 3;; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) return -1;
    if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
    char got[256];
    size_t len = ps.u.dir.pr_name_len;
    if (len >= sizeof got || __wasi_fd_prestat_dir_name(fd, (uint8_t *)got, len) != 0) continue;
    if (len == strlen(name) && memcmp(got, name, len) == 0) return (int)fd;
  }
}

/* Every right; a directory is opened without FD_READ/FD_WRITE (those make O_DIRECTORY EISDIR). */
#define PROBE_ALL_RIGHTS ((__wasi_rights_t)0x1fffffffULL)
#define PROBE_DIR_RIGHTS (PROBE_ALL_RIGHTS & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE))

/* Make `name` under `dir` and open it as a directory with all rights. */
static __wasi_fd_t probe_tmp_dir(__wasi_fd_t dir, const char *name) {
  __wasi_fd_t fd = 0;
  OK("mkdir scratch", __wasi_path_create_directory(dir, name));
  OK("open scratch", __wasi_path_open(dir, 0, name, __WASI_OFLAGS_DIRECTORY, PROBE_DIR_RIGHTS, PROBE_ALL_RIGHTS, 0, &fd));
  return fd;
}

/* Create an empty file. */
static void probe_touch(__wasi_fd_t dir, const char *name) {
  __wasi_fd_t fd = 0;
  if (__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT, 0, 0, 0, &fd) == 0) (void)!__wasi_fd_close(fd);
}

/* path_open with an explicit path length (paths holding a NUL byte). */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t probe_raw_path_open(int32_t, int32_t, int32_t, int32_t, int32_t, int64_t, int64_t, int32_t, int32_t);

#endif
