/*
 * links: hard links. link(2) shares one inode under several names (same
 * ino, nlink counts, shared content), survives unlink of the other names and
 * of an open file's last name; errors for existing names, missing sources
 * and directories; a link to a symlink links the symlink itself.
 */
#include "tap.h"

static nlink_t nlink_of(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 ? st.st_nlink : (nlink_t)-1;
}

static ino_t ino_of(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 ? st.st_ino : (ino_t)-1;
}

int main(void) {
  const char *d = tap_scratch("links");
  const char *a = P(d, "a"), *b = P(d, "b");
  tap_write_file(a, "shared");
  check_int("a new file has nlink 1", nlink_of(a), 1);
  check_int("link", link(a, b), 0);
  check_int("nlink is 2 through the first name", nlink_of(a), 2);
  check_int("nlink is 2 through the second name", nlink_of(b), 2);
  check("both names have the same inode", ino_of(a) == ino_of(b), "expected equal st_ino");
  check_str("the second name reads the same content", tap_read_file(b), "shared");

  int fd = open(b, O_WRONLY | O_APPEND);
  write(fd, "!", 1);
  close(fd);
  check_str("a write through one name shows through the other", tap_read_file(a), "shared!");

  mkdir(P(d, "sub"), 0755);
  check_int("link into a subdirectory", link(a, P(d, "sub/c")), 0);
  check_int("nlink counts three names", nlink_of(a), 3);

  check_int("unlink the first name", unlink(a), 0);
  check_int("nlink drops to 2", nlink_of(b), 2);
  check_str("the other names still read the content", tap_read_file(P(d, "sub/c")), "shared!");

  check_err("link onto an existing name is EEXIST", link(b, P(d, "sub/c")), EEXIST);
  check_err("link from a missing name is ENOENT", link(P(d, "ghost"), P(d, "g2")), ENOENT);
  check_err("link into a missing directory is ENOENT", link(b, P(d, "nodir/x")), ENOENT);
  check_err2("link of a directory fails", link(P(d, "sub"), P(d, "sub2")), EPERM, EACCES);
  struct stat st;
  check_err("no name is left by a failed directory link", lstat(P(d, "sub2"), &st), ENOENT);

  symlink("b", P(d, "sym"));
  check_int("link of a symlink", link(P(d, "sym"), P(d, "sym2")), 0);
  check("the new name is the symlink itself", lstat(P(d, "sym2"), &st) == 0 && S_ISLNK(st.st_mode), "expected S_IFLNK");
  check("and shares the symlink's inode", ino_of(P(d, "sym")) == ino_of(P(d, "sym2")), "expected equal st_ino");
  check_int("the target's nlink is unchanged", nlink_of(b), 2);

  fd = open(b, O_RDONLY);
  unlink(b);
  unlink(P(d, "sub/c"));
  check_err("after unlinking every name, lookups fail", lstat(b, &st), ENOENT);
  char buf[16] = {0};
  check_int("an open fd still reads the content", read(fd, buf, sizeof buf), 7);
  check_str("the content survives its last name", buf, "shared!");
  memset(&st, 0, sizeof st);
  check_int("fstat of an unlinked open file", fstat(fd, &st), 0);
  check_int("fstat shows nlink 0", st.st_nlink, 0);
  close(fd);

  tap_write_file(P(d, "x"), "x");
  link(P(d, "x"), P(d, "y"));
  unlink(P(d, "x"));
  check_int("a name made by link survives unlink of the original", tap_read_file(P(d, "y")) != NULL, 1);
  check_int("nlink 1 again", nlink_of(P(d, "y")), 1);
  return tap_done();
}
