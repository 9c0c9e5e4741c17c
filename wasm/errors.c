/*
 * errors: error paths. EBADF on closed and unknown fds; EINVAL for bad
 * whence and NUL bytes in paths; ENAMETOOLONG; ENOTDIR for a file used as
 * a directory fd; ENOTSOCK for sock_* on a file; EFAULT for out-of-range
 * guest pointers passed straight to the WASI imports (the guest must
 * survive every one of them).
 *
 * Setup-dependent checks run when the harness sets:
 *   RO_DIR, RO_FILE, RO_CONTENT  a read-only mount: writes are EROFS
 *   EACCES_FILE                  a file the task may read but not write (mode 0444, non-root uid)
 *   XDEV_DIR                     a directory on another mount: rename and link are EXDEV
 */
#include <wasi/api.h>

#include "tap.h"

/* Raw imports with plain integer pointers, so that any address can be passed. */
#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
WASI_IMPORT(fd_write) int32_t raw_fd_write(int32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nwritten);
WASI_IMPORT(fd_read) int32_t raw_fd_read(int32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread);
WASI_IMPORT(path_open) int32_t raw_path_open(int32_t fd, int32_t dirflags, uint32_t path, uint32_t path_len, int32_t oflags,
                                             int64_t base, int64_t inheriting, int32_t fdflags, uint32_t fd_out);
WASI_IMPORT(path_filestat_get) int32_t raw_path_filestat_get(int32_t fd, int32_t flags, uint32_t path, uint32_t path_len, uint32_t buf);
WASI_IMPORT(fd_filestat_get) int32_t raw_fd_filestat_get(int32_t fd, uint32_t buf);
WASI_IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t precision, uint32_t out);
WASI_IMPORT(random_get) int32_t raw_random_get(uint32_t buf, uint32_t len);
WASI_IMPORT(args_sizes_get) int32_t raw_args_sizes_get(uint32_t count, uint32_t size);
WASI_IMPORT(poll_oneoff) int32_t raw_poll_oneoff(uint32_t in, uint32_t out, uint32_t n, uint32_t nevents);
WASI_IMPORT(fd_seek) int32_t raw_fd_seek(int32_t fd, int64_t offset, int32_t whence, uint32_t newoffset);
WASI_IMPORT(fd_prestat_dir_name) int32_t raw_fd_prestat_dir_name(int32_t fd, uint32_t path, uint32_t len);

#define ADDR(p) ((uint32_t)(uintptr_t)(p))
#define ALL_RIGHTS ((int64_t)0x1fffffff)

static void bad_fds(const char *d) {
  char c;
  struct stat st;
  check_err("read of an fd never opened is EBADF", read(99, &c, 1), EBADF);
  check_err("write of an fd never opened is EBADF", write(99, "x", 1), EBADF);
  check_err("close of an fd never opened is EBADF", close(99), EBADF);
  check_err("fstat of an fd never opened is EBADF", fstat(99, &st), EBADF);
  check_err("lseek of an fd never opened is EBADF", lseek(99, 0, SEEK_SET), EBADF);
  check_err("fsync of an fd never opened is EBADF", fsync(99), EBADF);
  int fd = open(P(d, "f"), O_RDWR | O_CREAT, 0644);
  close(fd);
  check_err("close twice is EBADF", close(fd), EBADF);
  check_err("read after close is EBADF", read(fd, &c, 1), EBADF);
  check_err("a negative fd is EBADF", read(-1, &c, 1), EBADF);
  __wasi_prestat_t ps;
  check_wasi("fd_prestat_get of stdin is EBADF", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
  check_wasi("fd_prestat_get of fd 3", __wasi_fd_prestat_get(3, &ps), 0);
  char name[64] = {0};
  size_t len = ps.u.dir.pr_name_len < sizeof name - 1 ? ps.u.dir.pr_name_len : sizeof name - 1;
  (void)!__wasi_fd_prestat_dir_name(3, (uint8_t *)name, len);
  check_str("fd 3 is the preopened /", name, "/");
}

static void bad_args(const char *d) {
  int fd = open(P(d, "f"), O_RDWR | O_CREAT, 0644);
  __wasi_filesize_t off;
  check_wasi("fd_seek with a bad whence is EINVAL", raw_fd_seek(fd, 0, 99, ADDR(&off)), __WASI_ERRNO_INVAL);
  check_wasi("path_open with a NUL inside the path is EINVAL",
             raw_path_open(3, 0, ADDR("a\0b"), 3, 0, ALL_RIGHTS, ALL_RIGHTS, 0, ADDR(&fd)), __WASI_ERRNO_INVAL);
  char trailing[] = "wv-errors/f";
  int tfd = -1;
  check_wasi("path_open with a trailing NUL is EINVAL",
             raw_path_open(3, 0, ADDR(trailing), sizeof trailing, 0, ALL_RIGHTS, ALL_RIGHTS, 0, ADDR(&tfd)), __WASI_ERRNO_INVAL);
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  check_err("a 299-byte name is ENAMETOOLONG", open(P(d, longname), O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
  check_err("mkdir with a 299-byte name is ENAMETOOLONG", mkdir(P(d, longname), 0755), ENAMETOOLONG);
  check_err("openat with a file as the directory fd is ENOTDIR", openat(fd, "x", O_RDONLY), ENOTDIR);
  check_err("fstatat with a file as the directory fd is ENOTDIR", ({
              struct stat st;
              fstatat(fd, "x", &st, 0);
            }),
            ENOTDIR);
  check_wasi("sock_shutdown on a file is ENOTSOCK", __wasi_sock_shutdown((__wasi_fd_t)fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR),
             __WASI_ERRNO_NOTSOCK);
  char buf[4];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  __wasi_roflags_t rf;
  check_wasi("sock_recv on a file is ENOTSOCK", __wasi_sock_recv((__wasi_fd_t)fd, &iov, 1, 0, &n, &rf), __WASI_ERRNO_NOTSOCK);
  check_wasi("sock_send on a file is ENOTSOCK", __wasi_sock_send((__wasi_fd_t)fd, &ciov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  check_err2("write to a directory fd fails", write(dfd, "x", 1), EBADF, EISDIR);
  close(dfd);
  close(fd);

  fd = open(P(d, "rights"), O_RDWR | O_CREAT, 0644);
  __wasi_fdstat_t st;
  (void)!__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st);
  check("a read-write fd has FD_READ and FD_WRITE",
        (st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE)) == (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE),
        "expected both rights");
  check_wasi("fd_fdstat_set_rights drops FD_WRITE",
             __wasi_fd_fdstat_set_rights((__wasi_fd_t)fd, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, st.fs_rights_inheriting), 0);
  check_err2("write without FD_WRITE fails", write(fd, "x", 1), EBADF, ENOTCAPABLE);
  check_int("read is still allowed", read(fd, buf, 1), 0);
  check_wasi("rights cannot be added back", __wasi_fd_fdstat_set_rights((__wasi_fd_t)fd, st.fs_rights_base, st.fs_rights_inheriting),
             __WASI_ERRNO_NOTCAPABLE);
  close(fd);
}

static void bad_pointers(const char *d) {
  uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
  int fd = open(P(d, "fault"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  uint32_t nw = 0;

  check_wasi("fd_write with iovs out of memory is EFAULT", raw_fd_write(fd, 0xfffffff0u, 1, ADDR(&nw)), __WASI_ERRNO_FAULT);
  check_wasi("fd_write with iovs straddling the end is EFAULT", raw_fd_write(fd, end - 4, 1, ADDR(&nw)), __WASI_ERRNO_FAULT);
  __wasi_ciovec_t iov = {(const uint8_t *)(uintptr_t)(end - 2), 16};
  check_wasi("fd_write of a buffer straddling the end is EFAULT", raw_fd_write(fd, ADDR(&iov), 1, ADDR(&nw)), __WASI_ERRNO_FAULT);
  __wasi_ciovec_t wrap = {(const uint8_t *)(uintptr_t)0xfffffff0u, 0x20};
  check_wasi("fd_write of a buffer whose end wraps past 4 GiB is EFAULT", raw_fd_write(fd, ADDR(&wrap), 1, ADDR(&nw)), __WASI_ERRNO_FAULT);
  /* EINVAL is what Linux's writev says for more than IOV_MAX vectors */
  check_wasi2("fd_write with a huge iovs_len is EFAULT or EINVAL", raw_fd_write(fd, ADDR(&iov), 0x10000000u, ADDR(&nw)),
              __WASI_ERRNO_FAULT, __WASI_ERRNO_INVAL);
  __wasi_ciovec_t ok = {(const uint8_t *)"data", 4};
  check_wasi("fd_write with nwritten out of memory is EFAULT", raw_fd_write(fd, ADDR(&ok), 1, end - 2), __WASI_ERRNO_FAULT);

  __wasi_iovec_t riov = {(uint8_t *)(uintptr_t)0xffffff00u, 100};
  lseek(fd, 0, SEEK_SET);
  check_wasi("fd_read into a buffer out of memory is EFAULT", raw_fd_read(fd, ADDR(&riov), 1, ADDR(&nw)), __WASI_ERRNO_FAULT);

  int ofd = -1;
  check_wasi("path_open with a path straddling the end is EFAULT",
             raw_path_open(3, 0, end - 3, 10, 0, ALL_RIGHTS, ALL_RIGHTS, 0, ADDR(&ofd)), __WASI_ERRNO_FAULT);
  check_wasi("path_open with fd_out out of memory is EFAULT",
             raw_path_open(3, 0, ADDR("wv-errors"), 9, 0, ALL_RIGHTS, ALL_RIGHTS, 0, end), __WASI_ERRNO_FAULT);
  check_wasi("path_filestat_get into a buffer straddling the end is EFAULT",
             raw_path_filestat_get(3, 0, ADDR("wv-errors"), 9, end - 8), __WASI_ERRNO_FAULT);
  check_wasi("fd_filestat_get into a buffer out of memory is EFAULT", raw_fd_filestat_get(fd, 0xfffffff0u), __WASI_ERRNO_FAULT);
  check_wasi("clock_time_get into a result straddling the end is EFAULT", raw_clock_time_get(1, 0, end - 4), __WASI_ERRNO_FAULT);
  check_wasi("random_get into a buffer straddling the end is EFAULT", raw_random_get(end - 10, 100), __WASI_ERRNO_FAULT);
  check_wasi("args_sizes_get into memory's end is EFAULT", raw_args_sizes_get(end, end), __WASI_ERRNO_FAULT);
  uint32_t nev = 0;
  check_wasi("poll_oneoff with subscriptions out of memory is EFAULT", raw_poll_oneoff(end - 16, ADDR(&riov), 1, ADDR(&nev)),
             __WASI_ERRNO_FAULT);
  check_wasi("fd_prestat_dir_name into a buffer out of memory is EFAULT", raw_fd_prestat_dir_name(3, 0xfffffff0u, 1),
             __WASI_ERRNO_FAULT);
  check("the guest survives every EFAULT", 1, "");
  close(fd);
}

static void read_only(void) {
  const char *ro = getenv("RO_DIR");
  if (!ro || !*ro) return;
  const char *file = getenv("RO_FILE");
  const char *content = getenv("RO_CONTENT");
  check_str("a read-only mount can be read", tap_read_file(P(ro, file)), content);
  check_err("open for writing on a read-only mount is EROFS", open(P(ro, file), O_WRONLY), EROFS);
  check_err("O_CREAT on a read-only mount is EROFS", open(P(ro, "new"), O_WRONLY | O_CREAT, 0644), EROFS);
  check_err("mkdir on a read-only mount is EROFS", mkdir(P(ro, "newdir"), 0755), EROFS);
  check_err("unlink on a read-only mount is EROFS", unlink(P(ro, file)), EROFS);
  check_err("symlink on a read-only mount is EROFS", symlink("x", P(ro, "newlink")), EROFS);
  struct timespec ts[2] = {{1, 0}, {1, 0}};
  check_err("utimensat on a read-only mount is EROFS", utimensat(AT_FDCWD, P(ro, file), ts, 0), EROFS);
  check_str("the file is unchanged", tap_read_file(P(ro, file)), content);
}

static void access_denied(void) {
  const char *f = getenv("EACCES_FILE");
  if (!f || !*f) return;
  check("a 0444 file can be read", tap_read_file(f) != NULL, "expected to read it got %s", tap_errname(errno));
  check_err("a 0444 file cannot be opened for writing", open(f, O_WRONLY), EACCES);
  check_err("a 0444 file cannot be opened O_RDWR", open(f, O_RDWR), EACCES);
}

static void cross_device(const char *d) {
  const char *x = getenv("XDEV_DIR");
  if (!x || !*x) return;
  tap_write_file(P(d, "xdev"), "x");
  check_err("rename across mounts is EXDEV", rename(P(d, "xdev"), P(x, "xdev")), EXDEV);
  check_err("link across mounts is EXDEV", link(P(d, "xdev"), P(x, "xdev")), EXDEV);
}

int main(void) {
  const char *d = tap_scratch("errors");
  bad_fds(d);
  bad_args(d);
  bad_pointers(d);
  read_only();
  access_denied();
  cross_device(d);
  return tap_done();
}
