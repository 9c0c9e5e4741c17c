/*
 * Regular files under the root preopen: append, pread/pwrite, seek/tell,
 * truncation and its rights, allocate, advise, flags, times, stat, two
 * descriptions of one file, create/missing/exclusive opens, and the
 * fd_* calls a directory fd refuses.
 * Covers: fd_flags_set, file_pread_pwrite, file_seek_tell, file_truncation,
 * truncation_rights, file_allocate, fd_advise, fd_filestat_set,
 * fstflags_validate, file_unbuffered_write, path_open_create_existing,
 * path_open_missing, path_open_dirfd_not_dir, path_open_read_write,
 * path_open_nonblock, dir_fd_op_failures, directory_seek, path_filestat,
 * pwrite-with-append, pread-with-access, lseek, stat-dev-ino.
 */
#include "probe.h"

#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
            __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | \
            __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_ADVISE)

static uint8_t buf[256];

static __wasi_size_t wr(__wasi_fd_t fd, uint8_t v, size_t n) {
  memset(buf, v, n);
  __wasi_ciovec_t iov = {buf, n};
  __wasi_size_t got = 0;
  __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &got);
  return e ? 0 : got;
}

static __wasi_size_t rd(__wasi_fd_t fd, size_t n) {
  __wasi_iovec_t iov = {buf, n};
  __wasi_size_t got = 0;
  __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &got);
  return e ? 0 : got;
}

static int all(uint8_t v, size_t n) {
  for (size_t i = 0; i < n; i++) if (buf[i] != v) return 0;
  return 1;
}

int main(void) {
  int pre = probe_preopen("/");
  if (pre < 0) { EXPECT("root preopen", 0); return probe_done(); }
  __wasi_fd_t dir = probe_tmp_dir(pre, "files.cleanup");
  __wasi_fd_t f, g;
  __wasi_filesize_t pos;
  __wasi_filestat_t fs;
  __wasi_fdstat_t st;

  /* fd_flags_set: APPEND then off */
  OK("create with APPEND", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_CREAT, RW, 0, __WASI_FDFLAGS_APPEND, &f));
  EXPECT("write 100", wr(f, 0, 100) == 100);
  OK("seek 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("read 100 back", rd(f, 100) == 100 && all(0, 100));
  OK("seek 0 again", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("append write 100", wr(f, 1, 100) == 100);
  OK("seek 100", __wasi_fd_seek(f, 100, __WASI_WHENCE_SET, &pos));
  EXPECT("appended at the end", rd(f, 100) == 100 && all(1, 100));
  OK("fdstat flags APPEND", __wasi_fd_fdstat_get(f, &st));
  EXPECT("fdstat shows APPEND", st.fs_flags == __WASI_FDFLAGS_APPEND);
  OK("clear flags", __wasi_fd_fdstat_set_flags(f, 0));
  OK("seek 0 (3)", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("overwrite 100", wr(f, 2, 100) == 100);
  OK("seek 0 (4)", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("overwritten in place", rd(f, 100) == 100 && all(2, 100));
  OK("close a", __wasi_fd_close(f));
  OK("path_filestat_get a", __wasi_path_filestat_get(dir, 0, "a", &fs));
  EXPECT("size 200", fs.size == 200 && fs.filetype == __WASI_FILETYPE_REGULAR_FILE);

  /* pwrite under APPEND writes at its offset (or the end) and keeps the position */
  OK("open a APPEND|TRUNC", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_TRUNC, RW, 0, __WASI_FDFLAGS_APPEND, &f));
  EXPECT("write 2", wr(f, 3, 2) == 2);
  OK("seek 0 (5)", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("write 2 more", wr(f, 3, 2) == 2);
  OK("tell", __wasi_fd_tell(f, &pos));
  EXPECT("position 4 after append", pos == 4);
  __wasi_ciovec_t ci = {buf, 3};
  __wasi_size_t n = 0;
  OK("pwrite 3 at 0", __wasi_fd_pwrite(f, &ci, 1, 0, &n));
  EXPECT("pwrote 3", n == 3);
  OK("tell after pwrite", __wasi_fd_tell(f, &pos));
  EXPECT("pwrite leaves the position", pos == 4);
  OK("seek end", __wasi_fd_seek(f, 0, __WASI_WHENCE_END, &pos));
  EXPECT("end is 4 or 7", pos == 4 || pos == 7);

  /* pread/pwrite at offsets; seek/tell; past-the-end */
  OK("set flags 0", __wasi_fd_fdstat_set_flags(f, 0));
  OK("set size 0", __wasi_fd_filestat_set_size(f, 0));
  memcpy(buf, "0123456789", 10);
  ci.buf = buf; ci.buf_len = 10;
  OK("pwrite 10 at 2", __wasi_fd_pwrite(f, &ci, 1, 2, &n));
  OK("stat", __wasi_fd_filestat_get(f, &fs));
  EXPECT("size 12 after pwrite at 2", fs.size == 12);
  __wasi_iovec_t io = {buf, 4};
  OK("pread 4 at 4", __wasi_fd_pread(f, &io, 1, 4, &n));
  EXPECT("pread data", n == 4 && memcmp(buf, "2345", 4) == 0);
  OK("pread past the end", __wasi_fd_pread(f, &io, 1, 100, &n));
  EXPECT("pread past the end reads 0", n == 0);
  OK("seek cur -0", __wasi_fd_seek(f, 0, __WASI_WHENCE_CUR, &pos));
  OK("seek set 5", __wasi_fd_seek(f, 5, __WASI_WHENCE_SET, &pos));
  OK("seek cur -2", __wasi_fd_seek(f, -2, __WASI_WHENCE_CUR, &pos));
  EXPECT("at 3", pos == 3);
  OK("seek end -1", __wasi_fd_seek(f, -1, __WASI_WHENCE_END, &pos));
  EXPECT("at 11", pos == 11);
  FAILS("seek before 0", __wasi_fd_seek(f, -100, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
  OK("seek past the end", __wasi_fd_seek(f, 1000, __WASI_WHENCE_SET, &pos));
  EXPECT("read at eof is 0", rd(f, 10) == 0);

  /* several iovecs at once */
  static uint8_t v1[2] = {9, 8}, v2[2] = {7, 6}, r1[2], r2[3];
  __wasi_ciovec_t two[2] = {{v1, 2}, {v2, 2}};
  OK("pwrite 2 iovecs at 1", __wasi_fd_pwrite(f, two, 2, 1, &n));
  EXPECT("pwrote 4", n == 4);
  __wasi_iovec_t rtwo[2] = {{r1, 2}, {r2, 3}};
  OK("pread 2 iovecs at 1", __wasi_fd_pread(f, rtwo, 2, 1, &n));
  EXPECT("pread spans both iovecs", n == 5 && r1[0] == 9 && r1[1] == 8 && r2[0] == 7 && r2[1] == 6 && r2[2] == '3');

  /* allocate, advise */
  OK("truncate to 0", __wasi_fd_filestat_set_size(f, 0));
  OK("allocate 0..100", __wasi_fd_allocate(f, 0, 100));
  OK("stat after allocate", __wasi_fd_filestat_get(f, &fs));
  EXPECT("size 100", fs.size == 100);
  OK("allocate inside", __wasi_fd_allocate(f, 10, 10));
  OK("stat after allocate inside", __wasi_fd_filestat_get(f, &fs));
  EXPECT("size still 100", fs.size == 100);
  OK("allocate 90..110", __wasi_fd_allocate(f, 90, 20));
  OK("stat after allocate growing", __wasi_fd_filestat_get(f, &fs));
  EXPECT("size 110", fs.size == 110);
  OK("advise", __wasi_fd_advise(f, 10, 50, __WASI_ADVICE_NORMAL));
  OK("advise dontneed", __wasi_fd_advise(f, 0, 0, __WASI_ADVICE_DONTNEED));

  /* times */
  OK("set times", __wasi_fd_filestat_set_times(f, 100, 200, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  OK("stat times", __wasi_fd_filestat_get(f, &fs));
  EXPECT("atim 100 mtim 200", fs.atim == 100 && fs.mtim == 200);
  FAILS("ATIM|ATIM_NOW", __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
  FAILS("MTIM|MTIM_NOW", __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);
  FAILS("path ATIM|ATIM_NOW", __wasi_path_filestat_set_times(dir, 0, "a", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
  FAILS("path MTIM|MTIM_NOW", __wasi_path_filestat_set_times(dir, 0, "a", 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);
  OK("path set mtim", __wasi_path_filestat_set_times(dir, 0, "a", 0, 300, __WASI_FSTFLAGS_MTIM));
  OK("path stat", __wasi_path_filestat_get(dir, 0, "a", &fs));
  EXPECT("mtim 300, atim kept", fs.mtim == 300 && fs.atim == 100);

  /* two descriptions of one file see each other's writes at once */
  OK("open a again", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_TRUNC, RW, 0, 0, &g));
  OK("seek f to 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
  EXPECT("write via f", wr(f, 7, 1) == 1);
  EXPECT("read via g", rd(g, 1) == 1 && buf[0] == 7);
  OK("close g", __wasi_fd_close(g));
  OK("close f", __wasi_fd_close(f));

  /* truncation by path_open and its right */
  OK("TRUNC open", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_TRUNC, 0, 0, 0, &f));
  OK("stat after TRUNC", __wasi_path_filestat_get(dir, 0, "a", &fs));
  EXPECT("size 0 after TRUNC", fs.size == 0);
  (void)!__wasi_fd_close(f);
  OK("dir fdstat", __wasi_fd_fdstat_get(dir, &st));
  EXPECT("dir has no FD_FILESTAT_SET_SIZE", (st.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_SIZE) == 0);
  EXPECT("dir has no flags", st.fs_flags == 0);
  __wasi_fd_t sub;
  OK("open dir copy", __wasi_path_open(pre, 0, "files.cleanup", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base, st.fs_rights_inheriting, 0, &sub));
  OK("drop PATH_FILESTAT_SET_SIZE", __wasi_fd_fdstat_set_rights(sub, st.fs_rights_base & ~__WASI_RIGHTS_PATH_FILESTAT_SET_SIZE, st.fs_rights_inheriting));
  FAILS2("TRUNC without the right", __wasi_path_open(sub, 0, "a", __WASI_OFLAGS_TRUNC, 0, 0, 0, &f), __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_PERM);
  (void)!__wasi_fd_close(sub);

  /* opens */
  FAILS("CREAT|EXCL on an existing file", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0, &f), __WASI_ERRNO_EXIST);
  FAILS("missing file", __wasi_path_open(dir, 0, "missing", 0, 0, 0, 0, &f), __WASI_ERRNO_NOENT);
  FAILS("missing file as directory", __wasi_path_open(dir, 0, "missing", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &f), __WASI_ERRNO_NOENT);
  FAILS("missing parent", __wasi_path_open(dir, 0, "missing/x", __WASI_OFLAGS_CREAT, 0, 0, 0, &f), __WASI_ERRNO_NOENT);
  OK("open a read-only", __wasi_path_open(dir, 0, "a", 0, __WASI_RIGHTS_FD_READ, 0, 0, &f));
  FAILS("path_open on a file fd", __wasi_path_open(f, 0, "x", 0, 0, 0, 0, &g), __WASI_ERRNO_NOTDIR);
  FAILS2("write on a read-only fd", (wr(f, 1, 1) == 0) ? __WASI_ERRNO_BADF : 0, __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  (void)!__wasi_fd_close(f);
  OK("open a with NONBLOCK", __wasi_path_open(dir, 0, "a", 0, __WASI_RIGHTS_FD_READ, 0, __WASI_FDFLAGS_NONBLOCK, &f));
  (void)!__wasi_fd_close(f);

  /* a directory fd refuses file calls */
  __wasi_fd_t d;
  OK("mkdir d", __wasi_path_create_directory(dir, "d"));
  OK("open d asking FD_SEEK", __wasi_path_open(dir, 0, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_SEEK, 0, 0, &d));
  FAILS2("seek a directory", __wasi_fd_seek(d, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  OK("fdstat d", __wasi_fd_fdstat_get(d, &st));
  EXPECT("directory fd has no FD_SEEK", (st.fs_rights_base & __WASI_RIGHTS_FD_SEEK) == 0 && st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  (void)!__wasi_fd_close(d);
  io.buf_len = 8;
  FAILS2("fd_read on a dir", __wasi_fd_read(dir, &io, 1, &n), __WASI_ERRNO_ISDIR, __WASI_ERRNO_BADF);
  FAILS2("fd_pread on a dir", __wasi_fd_pread(dir, &io, 1, 0, &n), __WASI_ERRNO_ISDIR, __WASI_ERRNO_BADF);
  FAILS2("fd_write on a dir", __wasi_fd_write(dir, &ci, 1, &n), __WASI_ERRNO_ISDIR, __WASI_ERRNO_BADF);
  FAILS2("fd_pwrite on a dir", __wasi_fd_pwrite(dir, &ci, 1, 0, &n), __WASI_ERRNO_ISDIR, __WASI_ERRNO_BADF);
  FAILS2("fd_seek SET on a dir", __wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS2("fd_seek END on a dir", __wasi_fd_seek(dir, 0, __WASI_WHENCE_END, &pos), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS2("fd_tell on a dir", __wasi_fd_tell(dir, &pos), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS2("fd_allocate on a dir", __wasi_fd_allocate(dir, 0, 1), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS2("fd_filestat_set_size on a dir", __wasi_fd_filestat_set_size(dir, 0), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  OK("rmdir d", __wasi_path_remove_directory(dir, "d"));

  /* dev and ino */
  __wasi_filestat_t x, y;
  probe_touch(dir, "b");
  OK("stat a", __wasi_path_filestat_get(dir, 0, "a", &x));
  OK("stat b", __wasi_path_filestat_get(dir, 0, "b", &y));
  EXPECT("same dev, different ino", x.dev == y.dev && x.ino != y.ino);

  /* APPEND|SYNC at open: refused with ENOTSUP, or kept and reported by fdstat */
  __wasi_errno_t e = __wasi_path_open(dir, 0, "a", 0, RW, 0, __WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_SYNC, &f);
  if (e == 0) {
    OK("fdstat of an APPEND|SYNC fd", __wasi_fd_fdstat_get(f, &st));
    EXPECT("fdstat shows APPEND and SYNC", (st.fs_flags & (__WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_SYNC)) == (__WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_SYNC));
    (void)!__wasi_fd_close(f);
  } else {
    FAILS("APPEND|SYNC refused", e, __WASI_ERRNO_NOTSUP);
  }

  /* read-only, write-only and read-write opens get exactly those rights */
  OK("set size 0 by path", __wasi_path_open(dir, 0, "a", __WASI_OFLAGS_TRUNC, 0, 0, 0, &f));
  (void)!__wasi_fd_close(f);
  OK("open write-only", __wasi_path_open(dir, 0, "a", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &f));
  OK("fdstat write-only", __wasi_fd_fdstat_get(f, &st));
  EXPECT("write-only rights", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) && !(st.fs_rights_base & __WASI_RIGHTS_FD_READ));
  FAILS2("read on write-only", __wasi_fd_read(f, &io, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  EXPECT("write 50", wr(f, 1, 50) == 50);
  (void)!__wasi_fd_close(f);
  OK("open read-write", __wasi_path_open(dir, 0, "a", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_GET, 0, 0, &f));
  EXPECT("read the 50", rd(f, 100) == 50);
  EXPECT("write 25 after them", wr(f, 2, 25) == 25);
  OK("stat rw", __wasi_fd_filestat_get(f, &fs));
  EXPECT("size 75", fs.size == 75);
  /* fd_fdstat_set_rights: drop read/write, they are enforced and cannot come back */
  OK("fdstat rw", __wasi_fd_fdstat_get(f, &st));
  OK("drop FD_READ|FD_WRITE", __wasi_fd_fdstat_set_rights(f, st.fs_rights_base & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE), st.fs_rights_inheriting));
  FAILS2("read without FD_READ", __wasi_fd_read(f, &io, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS2("write without FD_WRITE", __wasi_fd_write(f, &ci, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  FAILS("rights cannot be regranted", __wasi_fd_fdstat_set_rights(f, st.fs_rights_base | __WASI_RIGHTS_FD_READ, st.fs_rights_inheriting), __WASI_ERRNO_NOTCAPABLE);
  (void)!__wasi_fd_close(f);

  OK("unlink a", __wasi_path_unlink_file(dir, "a"));
  OK("unlink b", __wasi_path_unlink_file(dir, "b"));
  OK("close scratch", __wasi_fd_close(dir));
  OK("rmdir scratch", __wasi_path_remove_directory(pre, "files.cleanup"));
  return probe_done();
}
