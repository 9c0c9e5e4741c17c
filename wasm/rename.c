/*
 * rename: POSIX rename. Plain moves keep the inode; replacing a file is
 * atomic and leaves open fds of the old target intact; directory onto
 * file (ENOTDIR), file onto directory (EISDIR), onto a non-empty
 * directory (ENOTEMPTY), into its own subtree (EINVAL); moves into and out
 * of subdirectories; no-op renames; `..` of a moved directory.
 */
#include "tap.h"

static ino_t ino_of(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 ? st.st_ino : (ino_t)-1;
}

static int exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

static void files(const char *d) {
  tap_write_file(P(d, "a"), "A");
  ino_t ia = ino_of(P(d, "a"));
  check_int("rename a file", rename(P(d, "a"), P(d, "b")), 0);
  check("the old name is gone", !exists(P(d, "a")), "expected ENOENT for the old name");
  check_str("the new name has the content", tap_read_file(P(d, "b")), "A");
  check("rename keeps the inode", ino_of(P(d, "b")) == ia, "expected the same st_ino");

  tap_write_file(P(d, "c"), "C");
  int old = open(P(d, "c"), O_RDONLY);
  check_int("rename over an existing file", rename(P(d, "b"), P(d, "c")), 0);
  check_str("the target now has the source's content", tap_read_file(P(d, "c")), "A");
  check("the source name is gone", !exists(P(d, "b")), "expected ENOENT");
  char buf[8] = {0};
  read(old, buf, sizeof buf);
  check_str("an fd open on the replaced file still reads it", buf, "C");
  close(old);

  check_err("rename of a missing name is ENOENT", rename(P(d, "ghost"), P(d, "g2")), ENOENT);
  check_err("rename into a missing directory is ENOENT", rename(P(d, "c"), P(d, "nodir/c")), ENOENT);
  check_err("rename to a name with a trailing slash is ENOTDIR", rename(P(d, "c"), P(d, "c2/")), ENOTDIR);
  check("a failed rename leaves the source", exists(P(d, "c")), "expected the source to exist");

  check_int("rename a name onto itself", rename(P(d, "c"), P(d, "c")), 0);
  check_str("a self rename changes nothing", tap_read_file(P(d, "c")), "A");

  link(P(d, "c"), P(d, "c-link"));
  check_int("rename between two links of one inode", rename(P(d, "c"), P(d, "c-link")), 0);
  check("both links remain", exists(P(d, "c")) && exists(P(d, "c-link")), "expected both names to exist");

  mkdir(P(d, "sub"), 0755);
  check_int("move a file into a subdirectory", rename(P(d, "c"), P(d, "sub/c")), 0);
  check_str("the moved file reads back", tap_read_file(P(d, "sub/c")), "A");
  check_int("move it back out", rename(P(d, "sub/c"), P(d, "c")), 0);
  check("the subdirectory is empty again", !exists(P(d, "sub/c")), "expected ENOENT");
}

static void directories(const char *d) {
  mkdir(P(d, "d1"), 0755);
  tap_write_file(P(d, "d1/f"), "in d1");
  mkdir(P(d, "d1/deep"), 0755);
  tap_write_file(P(d, "file"), "F");
  check_err("a directory onto a file is ENOTDIR", rename(P(d, "d1"), P(d, "file")), ENOTDIR);
  mkdir(P(d, "empty"), 0755);
  check_err("a file onto a directory is EISDIR", rename(P(d, "file"), P(d, "empty")), EISDIR);
  mkdir(P(d, "full"), 0755);
  tap_write_file(P(d, "full/x"), "x");
  check_err2("a directory onto a non-empty directory is ENOTEMPTY", rename(P(d, "d1"), P(d, "full")), ENOTEMPTY, EEXIST);
  check_err("a directory into its own subdirectory is EINVAL", rename(P(d, "d1"), P(d, "d1/deep/d1")), EINVAL);
  check_err("a directory onto its own subdirectory is EINVAL", rename(P(d, "d1"), P(d, "d1/deep")), EINVAL);

  ino_t i1 = ino_of(P(d, "d1"));
  check_int("a directory onto an empty directory", rename(P(d, "d1"), P(d, "empty")), 0);
  check("the directory keeps its inode", ino_of(P(d, "empty")) == i1, "expected the same st_ino");
  check_str("its contents move with it", tap_read_file(P(d, "empty/f")), "in d1");
  check("the old directory name is gone", !exists(P(d, "d1")), "expected ENOENT");

  check_int("move a directory into another", rename(P(d, "empty"), P(d, "full/moved")), 0);
  struct stat up, full;
  stat(P(d, "full/moved/.."), &up);
  stat(P(d, "full"), &full);
  check("the moved directory's .. is its new parent", up.st_ino == full.st_ino, "expected .. to be the new parent");
  check_str("a file deep in the moved tree", tap_read_file(P(d, "full/moved/f")), "in d1");
  check_int("rename a directory with a trailing slash", rename(P(d, "full/moved/"), P(d, "back/")), 0);
  check("the directory is at its new name", exists(P(d, "back/deep")), "expected back/deep");
  check_err2("rename of a file to an existing directory with a trailing slash fails",
             rename(P(d, "file"), P(d, "back/")), EISDIR, ENOTDIR);
}

int main(void) {
  const char *d = tap_scratch("rename");
  files(d);
  directories(d);
  return tap_done();
}
