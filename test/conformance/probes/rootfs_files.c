/*
 * Files that come with the rootfs (a read-only host directory under the
 * container's in-memory upper), as the C tests find them: reading and
 * seeking lseek.txt, pread at an offset, two lower files' dev/ino, readdir
 * of a lower directory whose d_ino match stat, and a new file written in a
 * lower directory (copy-up) then removed.
 * Covers: lseek, pread-with-access, stat-dev-ino, fdopendir-with-access,
 * fopen-with-access, pwrite-with-access.
 */
#include "probe.h"

int main(void) {
  int pre = probe_preopen("/");
  if (pre < 0) { EXPECT("root preopen", 0); return probe_done(); }
  __wasi_fd_t f, d;
  __wasi_filesize_t pos;
  __wasi_size_t n;
  char b[16];
  __wasi_iovec_t io = {(uint8_t *)b, 4};

  OK("open lseek.txt", __wasi_path_open(pre, 0, "lseek.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, 0, 0, &f));
  OK("read 4", __wasi_fd_read(f, &io, 1, &n));
  OK("tell", __wasi_fd_seek(f, 0, __WASI_WHENCE_CUR, &pos));
  EXPECT("at 4", n == 4 && pos == 4);
  io.buf_len = 1;
  OK("read 1", __wasi_fd_read(f, &io, 1, &n));
  EXPECT("fifth byte is 4", n == 1 && b[0] == '4');
  OK("seek end", __wasi_fd_seek(f, 0, __WASI_WHENCE_END, &pos));
  EXPECT("size 8", pos == 8);
  (void)!__wasi_fd_close(f);

  OK("open pread.txt", __wasi_path_open(pre, 0, "pread.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, 0, &f));
  io.buf_len = 3;
  OK("pread 3 at 4", __wasi_fd_pread(f, &io, 1, 4, &n));
  EXPECT("pread data", n == 3 && memcmp(b, "d-t", 3) == 0);
  (void)!__wasi_fd_close(f);

  __wasi_filestat_t x, y;
  OK("stat file", __wasi_path_filestat_get(pre, 0, "file", &x));
  OK("stat lseek.txt", __wasi_path_filestat_get(pre, 0, "lseek.txt", &y));
  EXPECT("same dev, different ino", x.dev == y.dev && x.ino != y.ino);

  OK("open fopendir.dir", __wasi_path_open(pre, 0, "fopendir.dir", __WASI_OFLAGS_DIRECTORY, PROBE_DIR_RIGHTS, 0, 0, &d));
  static uint8_t rb[1024];
  OK("readdir", __wasi_fd_readdir(d, rb, sizeof rb, 0, &n));
  int files = 0, match = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
    __wasi_dirent_t de;
    memcpy(&de, rb + off, sizeof de);
    char name[64] = {0};
    memcpy(name, rb + off + sizeof de, de.d_namlen < 63 ? de.d_namlen : 63);
    off += sizeof de + de.d_namlen;
    if (name[0] == '.') continue;
    files++;
    __wasi_filestat_t s;
    if (__wasi_path_filestat_get(d, 0, name, &s) == 0 && s.ino == de.d_ino) match++;
  }
  EXPECT("two entries, each d_ino equal to its st_ino", files == 2 && match == 2);
  (void)!__wasi_fd_close(d);

  __wasi_ciovec_t ci = {(const uint8_t *)"very long text", 14};
  FAILS("new file absent", __wasi_path_filestat_get(pre, 0, "writeable/t.cleanup", &x), __WASI_ERRNO_NOENT);
  OK("create in a lower dir", __wasi_path_open(pre, 0, "writeable/t.cleanup", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, 0, &f));
  OK("pwrite at 0", __wasi_fd_pwrite(f, &ci, 1, 0, &n));
  ci.buf = (const uint8_t *)"test";
  ci.buf_len = 4;
  OK("pwrite at 3", __wasi_fd_pwrite(f, &ci, 1, 3, &n));
  io.buf_len = 16;
  OK("pread back", __wasi_fd_pread(f, &io, 1, 0, &n));
  EXPECT("vertestng text", n == 14 && memcmp(b, "vertestng text", 14) == 0);
  (void)!__wasi_fd_close(f);
  OK("remove it", __wasi_path_unlink_file(pre, "writeable/t.cleanup"));
  return probe_done();
}
