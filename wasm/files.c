/*
 * files: regular files through open/read/write and friends.
 * open flags (creat, excl, trunc, append, rdonly/wronly/rdwr), pread/pwrite,
 * lseek (holes, whence, bad offsets), ftruncate, readv/writev, independent
 * offsets of two open file descriptions, large transfers.
 */
#include <sys/uio.h>

#include "tap.h"

static off_t size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static void creat_excl_trunc(const char *d) {
  const char *f = P(d, "a");
  int fd = open(f, O_WRONLY | O_CREAT, 0644);
  check_ok("open O_CREAT creates a new file", fd);
  check_int("write returns the byte count", write(fd, "hello", 5), 5);
  check_int("offset advances after write", lseek(fd, 0, SEEK_CUR), 5);
  check_int("close succeeds", close(fd), 0);

  fd = open(f, O_RDONLY);
  char buf[16] = {0};
  check_int("read returns what was written", read(fd, buf, sizeof buf), 5);
  check_str("read content", buf, "hello");
  check_int("read at EOF returns 0", read(fd, buf, sizeof buf), 0);
  close(fd);

  check_err("O_CREAT|O_EXCL on an existing file is EEXIST", open(f, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  fd = open(P(d, "b"), O_WRONLY | O_CREAT | O_EXCL, 0644);
  check_ok("O_CREAT|O_EXCL on a new name succeeds", fd);
  close(fd);

  fd = open(f, O_WRONLY | O_CREAT, 0644);
  check_int("O_CREAT on an existing file keeps its content", size_of(fd), 5);
  close(fd);
  fd = open(f, O_WRONLY | O_TRUNC);
  check_int("O_TRUNC empties the file", size_of(fd), 0);
  close(fd);
  check_err("open without O_CREAT of a missing file is ENOENT", open(P(d, "missing"), O_RDONLY), ENOENT);
  check_err("O_CREAT in a missing directory is ENOENT", open(P(d, "nodir/x"), O_WRONLY | O_CREAT, 0644), ENOENT);
  check_err("a trailing slash on a regular file is ENOTDIR", open(P(d, "a/"), O_RDONLY), ENOTDIR);
}

static void append(const char *d) {
  const char *f = P(d, "append");
  tap_write_file(f, "hello");
  int fd = open(f, O_WRONLY | O_APPEND);
  check_ok("open O_APPEND", fd);
  int fl = fcntl(fd, F_GETFL);
  check("F_GETFL reports O_APPEND", fl >= 0 && (fl & O_APPEND), "expected O_APPEND in flags got 0x%x", fl);
  lseek(fd, 0, SEEK_SET);
  write(fd, "X", 1);
  check_int("O_APPEND writes at the end whatever the offset", size_of(fd), 6);
  check_int("offset is at the end after an appending write", lseek(fd, 0, SEEK_CUR), 6);
  close(fd);
  check_str("appended content", tap_read_file(f), "helloX");

  fd = open(f, O_WRONLY);
  int rc = fcntl(fd, F_SETFL, O_APPEND);
  check_ok("F_SETFL O_APPEND", rc);
  write(fd, "Y", 1);
  close(fd);
  check_str("F_SETFL O_APPEND makes writes append", tap_read_file(f), "helloXY");
}

static void positional(const char *d) {
  const char *f = P(d, "pos");
  tap_write_file(f, "0123456789");
  int fd = open(f, O_RDWR);
  char buf[16] = {0};
  check_int("pread returns the count", pread(fd, buf, 3, 4), 3);
  check_str("pread reads at the offset", buf, "456");
  check_int("pread leaves the offset alone", lseek(fd, 0, SEEK_CUR), 0);
  check_int("pread past EOF returns 0", pread(fd, buf, 3, 100), 0);
  check_int("pwrite returns the count", pwrite(fd, "ab", 2, 2), 2);
  check_int("pwrite leaves the offset alone", lseek(fd, 0, SEEK_CUR), 0);
  check_int("pwrite past EOF extends the file", pwrite(fd, "Z", 1, 14), 1);
  check_int("size after pwrite past EOF", size_of(fd), 15);
  memset(buf, 'x', sizeof buf);
  check_int("read the whole file", read(fd, buf, sizeof buf), 15);
  check("pwrite content and hole of zeros",
        memcmp(buf, "01ab456789\0\0\0\0Z", 15) == 0, "expected \"01ab456789\\0\\0\\0\\0Z\"");
  check_err("pread with a negative offset is EINVAL", pread(fd, buf, 1, -1), EINVAL);
  close(fd);
}

static void seeking(const char *d) {
  const char *f = P(d, "seek");
  tap_write_file(f, "abcdef");
  int fd = open(f, O_RDWR);
  check_int("SEEK_END returns the size", lseek(fd, 0, SEEK_END), 6);
  check_int("SEEK_END with a negative offset", lseek(fd, -2, SEEK_END), 4);
  char c = 0;
  read(fd, &c, 1);
  check_int("read after SEEK_END-2", c, 'e');
  check_int("SEEK_CUR moves relative", lseek(fd, -3, SEEK_CUR), 2);
  check_int("SEEK_SET", lseek(fd, 1, SEEK_SET), 1);
  check_err("a negative resulting offset is EINVAL", lseek(fd, -10, SEEK_CUR), EINVAL);
  check_int("the offset is unchanged after a failed lseek", lseek(fd, 0, SEEK_CUR), 1);
  check_err("a bad whence is EINVAL", lseek(fd, 0, 42), EINVAL);
  check_int("seeking past EOF is allowed", lseek(fd, 100, SEEK_SET), 100);
  check_int("seeking past EOF does not change the size", size_of(fd), 6);
  write(fd, "!", 1);
  check_int("writing past EOF extends the file", size_of(fd), 101);
  char buf[8];
  check_int("reading the hole", pread(fd, buf, 4, 50), 4);
  check("the hole reads as zeros", buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0, "expected zeros");
  close(fd);
}

static void truncating(const char *d) {
  const char *f = P(d, "trunc");
  tap_write_file(f, "0123456789");
  int fd = open(f, O_RDWR);
  check_int("ftruncate shrink", ftruncate(fd, 4), 0);
  check_int("size after shrink", size_of(fd), 4);
  check_int("ftruncate keeps the offset", lseek(fd, 0, SEEK_CUR), 0);
  check_int("ftruncate extend", ftruncate(fd, 8), 0);
  char buf[16] = {0};
  check_int("read after extend", read(fd, buf, sizeof buf), 8);
  check("extended bytes are zeros", memcmp(buf, "0123\0\0\0\0", 8) == 0, "expected \"0123\\0\\0\\0\\0\"");
  check_err("ftruncate to a negative size is EINVAL", ftruncate(fd, -1), EINVAL);
  close(fd);
  fd = open(f, O_RDONLY);
  check_err3("ftruncate on a read-only fd fails", ftruncate(fd, 0), EINVAL, EBADF, ENOTCAPABLE);
  check_int("and leaves the size", size_of(fd), 8);
  close(fd);
}

static void access_modes(const char *d) {
  const char *f = P(d, "modes");
  tap_write_file(f, "data");
  char buf[8];
  int fd = open(f, O_RDONLY);
  check_err("write on an O_RDONLY fd is EBADF", write(fd, "x", 1), EBADF);
  close(fd);
  fd = open(f, O_WRONLY);
  check_err("read on an O_WRONLY fd is EBADF", read(fd, buf, 1), EBADF);
  close(fd);
  fd = open(f, O_RDWR);
  write(fd, "DA", 2);
  lseek(fd, 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  read(fd, buf, 4);
  check_str("O_RDWR writes then reads back", buf, "DAta");
  check_int("fsync", fsync(fd), 0);
  check_int("fdatasync", fdatasync(fd), 0);
  close(fd);
}

static void two_descriptions(const char *d) {
  const char *f = P(d, "two");
  tap_write_file(f, "abcdef");
  int a = open(f, O_RDWR), b = open(f, O_RDWR);
  char c1 = 0, c2 = 0;
  read(a, &c1, 1);
  read(a, &c1, 1);
  read(b, &c2, 1);
  check("two opens have independent offsets", c1 == 'b' && c2 == 'a', "expected b and a got %c and %c", c1, c2);
  pwrite(a, "Q", 1, 5);
  char buf[8] = {0};
  pread(b, buf, 6, 0);
  check_str("a write through one fd is visible through the other", buf, "abcdeQ");
  close(a);
  close(b);
}

static void vectors(const char *d) {
  const char *f = P(d, "vec");
  int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
  struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
  check_int("writev returns the total", writev(fd, w, 3), 6);
  lseek(fd, 0, SEEK_SET);
  char x[3] = {0}, y[8] = {0};
  struct iovec r[2] = {{x, 2}, {y, 8}};
  check_int("readv returns the total", readv(fd, r, 2), 6);
  check("readv fills buffers in order", strcmp(x, "ab") == 0 && strcmp(y, "cdef") == 0,
        "expected ab|cdef got %s|%s", x, y);
  close(fd);
}

static void large(const char *d) {
  const char *f = P(d, "large");
  size_t n = 3 * 1024 * 1024 + 123;
  unsigned char *buf = malloc(n), *back = malloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(i * 7 + (i >> 11));
  int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, buf + done, n - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
  check_int("write 3 MiB", (long long)done, (long long)n);
  lseek(fd, 0, SEEK_SET);
  done = 0;
  while (done < n) {
    size_t want = n - done < 65536 ? n - done : 65536;
    ssize_t r = read(fd, back + done, want);
    if (r <= 0) break;
    done += (size_t)r;
  }
  check_int("read 3 MiB back in 64 KiB reads", (long long)done, (long long)n);
  check("3 MiB round trip is byte-exact", memcmp(buf, back, n) == 0, "expected identical bytes");
  close(fd);
  free(buf);
  free(back);
}

int main(void) {
  const char *d = tap_scratch("files");
  creat_excl_trunc(d);
  append(d);
  positional(d);
  seeking(d);
  truncating(d);
  access_modes(d);
  two_descriptions(d);
  vectors(d);
  large(d);
  return tap_done();
}
