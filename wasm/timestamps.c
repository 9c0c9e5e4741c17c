/*
 * timestamps: utimensat and futimens to the nanosecond, UTIME_OMIT, the
 * NOW flags of path_filestat_set_times, AT_SYMLINK_NOFOLLOW, and the times the kernel updates by
 * itself: mtime on write and truncate, a directory's mtime when an entry is
 * added or removed.
 */
#include <time.h>
#include <wasi/api.h>

#include "tap.h"

static long long ns_of(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return ns_of(t);
}

/* Is `t` within [lo - 2 s, hi + 2 s]? The slack covers coarse host clocks. */
static int around(long long t, long long lo, long long hi) {
  return t >= lo - 2000000000LL && t <= hi + 2000000000LL;
}

int main(void) {
  const char *d = tap_scratch("timestamps");
  const char *f = P(d, "file");
  struct stat st;
  tap_write_file(f, "x");

  struct timespec ts[2] = {{1000000000, 111111111}, {1234567890, 123456789}};
  check_int("utimensat with nanoseconds", utimensat(AT_FDCWD, f, ts, 0), 0);
  stat(f, &st);
  check_int("atime to the nanosecond", ns_of(st.st_atim), 1000000000111111111LL);
  check_int("mtime to the nanosecond", ns_of(st.st_mtim), 1234567890123456789LL);

  struct timespec whole[2] = {{1500000000, 0}, {1600000000, 0}};
  utimensat(AT_FDCWD, f, whole, 0);
  stat(f, &st);
  check_int("whole-second atime", ns_of(st.st_atim), 1500000000000000000LL);
  check_int("whole-second mtime", ns_of(st.st_mtim), 1600000000000000000LL);

  struct timespec omit[2] = {{0, UTIME_OMIT}, {1700000000, 5}};
  check_int("utimensat with UTIME_OMIT for atime", utimensat(AT_FDCWD, f, omit, 0), 0);
  stat(f, &st);
  check_int("UTIME_OMIT leaves atime", ns_of(st.st_atim), 1500000000000000000LL);
  check_int("and the other time is set", ns_of(st.st_mtim), 1700000000000000005LL);

  /*
   * UTIME_NOW goes through the raw call: this wasi-libc (2022) rejects
   * UTIME_NOW with EINVAL and turns utimensat(NULL) into "set both to 0".
   */
  long long before = now_ns();
  check_wasi("path_filestat_set_times with MTIM_NOW", __wasi_path_filestat_set_times(3, 0, f + 1, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
  long long after = now_ns();
  stat(f, &st);
  check("MTIM_NOW sets the current time", around(ns_of(st.st_mtim), before, after), "expected mtime near the realtime clock");
  check_int("MTIM_NOW leaves atime", ns_of(st.st_atim), 1500000000000000000LL);

  before = now_ns();
  check_wasi("path_filestat_set_times with ATIM_NOW|MTIM_NOW",
             __wasi_path_filestat_set_times(3, 0, f + 1, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW), 0);
  after = now_ns();
  stat(f, &st);
  check("ATIM_NOW sets atime to now", around(ns_of(st.st_atim), before, after), "expected atime near now");
  check("MTIM_NOW sets mtime to now", around(ns_of(st.st_mtim), before, after), "expected mtime near now");
  if (!tap_skip("ATIM together with ATIM_NOW is EINVAL"))
    check_wasi("ATIM together with ATIM_NOW is EINVAL",
               __wasi_path_filestat_set_times(3, 0, f + 1, 5, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
  if (!tap_skip("MTIM together with MTIM_NOW is EINVAL"))
    check_wasi("MTIM together with MTIM_NOW is EINVAL",
               __wasi_path_filestat_set_times(3, 0, f + 1, 0, 5, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);

  int fd = open(f, O_RDWR);
  struct timespec fts[2] = {{1100000000, 999999999}, {1200000000, 1}};
  check_int("futimens", futimens(fd, fts), 0);
  struct stat fst;
  fstat(fd, &fst);
  check_int("futimens atime", ns_of(fst.st_atim), 1100000000999999999LL);
  check_int("futimens mtime", ns_of(fst.st_mtim), 1200000000000000001LL);

  before = now_ns();
  write(fd, "more", 4);
  after = now_ns();
  fstat(fd, &fst);
  check("a write updates mtime", around(ns_of(fst.st_mtim), before, after), "expected mtime near now");
  futimens(fd, fts);
  before = now_ns();
  ftruncate(fd, 2);
  after = now_ns();
  fstat(fd, &fst);
  check("ftruncate updates mtime", around(ns_of(fst.st_mtim), before, after), "expected mtime near now");
  close(fd);

  const char *sub = P(d, "sub");
  mkdir(sub, 0755);
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  utimensat(AT_FDCWD, sub, old, 0);
  before = now_ns();
  tap_write_file(P(d, "sub/new"), "");
  after = now_ns();
  stat(sub, &st);
  check("adding an entry updates the directory's mtime", around(ns_of(st.st_mtim), before, after), "expected mtime near now");
  utimensat(AT_FDCWD, sub, old, 0);
  before = now_ns();
  unlink(P(d, "sub/new"));
  after = now_ns();
  stat(sub, &st);
  check("removing an entry updates the directory's mtime", around(ns_of(st.st_mtim), before, after), "expected mtime near now");

  symlink("file", P(d, "link"));
  utimensat(AT_FDCWD, f, whole, 0);
  struct timespec lts[2] = {{1300000000, 7}, {1300000000, 8}};
  check_int("utimensat AT_SYMLINK_NOFOLLOW", utimensat(AT_FDCWD, P(d, "link"), lts, AT_SYMLINK_NOFOLLOW), 0);
  lstat(P(d, "link"), &st);
  check_int("the link's own mtime is set", ns_of(st.st_mtim), 1300000000000000008LL);
  stat(f, &st);
  check_int("the target's mtime is untouched", ns_of(st.st_mtim), 1600000000000000000LL);
  check_int("utimensat through a link", utimensat(AT_FDCWD, P(d, "link"), lts, 0), 0);
  stat(f, &st);
  check_int("sets the target", ns_of(st.st_mtim), 1300000000000000008LL);

  check_err("utimensat of a missing name is ENOENT", utimensat(AT_FDCWD, P(d, "ghost"), ts, 0), ENOENT);
  return tap_done();
}
