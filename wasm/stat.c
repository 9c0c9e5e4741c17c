/*
 * stat: file types (regular, directory, symlink, character device when
 * STAT_DEV names one), sizes, nlink, inode numbers (stable across calls,
 * reopen and rename; distinct between files), st_dev, fstat against stat,
 * fstatat(AT_SYMLINK_NOFOLLOW) and lookup errors.
 */
#include "tap.h"

int main(void) {
  const char *d = tap_scratch("stat");
  const char *f = P(d, "file");
  struct stat st, st2, fst;

  tap_write_file(f, "twelve bytes");
  check_int("stat a file", stat(f, &st), 0);
  check("a file is S_IFREG", S_ISREG(st.st_mode), "expected S_IFREG got 0%o", st.st_mode & S_IFMT);
  check_int("size of a file", st.st_size, 12);
  check_int("nlink of a new file", st.st_nlink, 1);
  check("st_ino is not 0", st.st_ino != 0, "expected a non-zero inode number");

  check_int("stat again", stat(f, &st2), 0);
  check("st_ino is stable across stat calls", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev, "expected the same ino/dev");
  int fd = open(f, O_RDWR);
  check_int("fstat", fstat(fd, &fst), 0);
  check("fstat agrees with stat", fst.st_ino == st.st_ino && fst.st_dev == st.st_dev && fst.st_size == 12 &&
        S_ISREG(fst.st_mode), "expected the same ino, dev, size and type");
  write(fd, "0123456789abcdefghij", 20);
  fstat(fd, &fst);
  check_int("fstat sees the size grow", fst.st_size, 20);
  ftruncate(fd, 1000);
  stat(f, &st2);
  check_int("stat sees ftruncate", st2.st_size, 1000);
  close(fd);

  fd = open(f, O_RDONLY);
  fstat(fd, &fst);
  close(fd);
  check("st_ino is stable across reopen", fst.st_ino == st.st_ino, "expected the same ino");
  rename(f, P(d, "renamed"));
  stat(P(d, "renamed"), &st2);
  check("st_ino is stable across rename", st2.st_ino == st.st_ino, "expected the same ino");
  rename(P(d, "renamed"), f);

  tap_write_file(P(d, "other"), "");
  stat(P(d, "other"), &st2);
  check("two files have different inodes", st2.st_ino != st.st_ino, "expected different st_ino");
  check("two files in one directory share st_dev", st2.st_dev == st.st_dev, "expected the same st_dev");
  check_int("size of an empty file", st2.st_size, 0);

  mkdir(P(d, "dir"), 0755);
  check_int("stat a directory", stat(P(d, "dir"), &st2), 0);
  check("a directory is S_IFDIR", S_ISDIR(st2.st_mode), "expected S_IFDIR got 0%o", st2.st_mode & S_IFMT);
  check("a directory's inode differs from a file's", st2.st_ino != st.st_ino, "expected different st_ino");
  struct stat dot;
  stat(P(d, "dir/."), &dot);
  check("dir/. is dir", dot.st_ino == st2.st_ino, "expected the same st_ino");
  struct stat parent, dotdot;
  stat(d, &parent);
  stat(P(d, "dir/.."), &dotdot);
  check("dir/.. is the parent", dotdot.st_ino == parent.st_ino, "expected the parent's st_ino");

  symlink("file", P(d, "link"));
  check_int("lstat a symlink", lstat(P(d, "link"), &st2), 0);
  check("a symlink is S_IFLNK under lstat", S_ISLNK(st2.st_mode), "expected S_IFLNK got 0%o", st2.st_mode & S_IFMT);
  check("a symlink has its own inode", st2.st_ino != st.st_ino, "expected different st_ino");
  check_int("stat through the symlink", stat(P(d, "link"), &st2), 0);
  check("stat through a symlink gives the target", st2.st_ino == st.st_ino && S_ISREG(st2.st_mode), "expected the target");
  check_int("fstatat AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, P(d, "link"), &st2, AT_SYMLINK_NOFOLLOW), 0);
  check("fstatat AT_SYMLINK_NOFOLLOW gives the link", S_ISLNK(st2.st_mode), "expected S_IFLNK");
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  check_int("fstatat relative to a directory fd", fstatat(dfd, "file", &st2, 0), 0);
  check("fstatat relative finds the file", st2.st_ino == st.st_ino, "expected the same st_ino");
  close(dfd);

  check_err("stat of a missing name is ENOENT", stat(P(d, "ghost"), &st2), ENOENT);
  check_err("stat of a name under a missing directory is ENOENT", stat(P(d, "ghost/x"), &st2), ENOENT);
  check_err("stat of a name under a file is ENOTDIR", stat(P(d, "file/x"), &st2), ENOTDIR);
  check_err("stat of a file with a trailing slash is ENOTDIR", stat(P(d, "file/"), &st2), ENOTDIR);

  const char *dev = getenv("STAT_DEV");
  if (dev && *dev) {
    check_int("stat a device", stat(dev, &st2), 0);
    check("a device is S_IFCHR", S_ISCHR(st2.st_mode), "expected S_IFCHR got 0%o", st2.st_mode & S_IFMT);
  }
  return tap_done();
}
