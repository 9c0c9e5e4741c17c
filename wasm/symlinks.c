/*
 * symlinks: symlink and readlink, following through files and directories,
 * relative and absolute targets, loops (ELOOP), dangling links, O_NOFOLLOW,
 * lstat, unlink and rename of links.
 */
#include "tap.h"

static void basics(const char *d) {
  tap_write_file(P(d, "target"), "through the link");
  check_int("symlink", symlink("target", P(d, "l1")), 0);
  char buf[256];
  memset(buf, '#', sizeof buf);
  ssize_t n = readlink(P(d, "l1"), buf, sizeof buf);
  check_int("readlink returns the target length", n, 6);
  check("readlink writes no NUL", n == 6 && memcmp(buf, "target#", 7) == 0, "expected \"target#\"");
  n = readlink(P(d, "l1"), buf, 3);
  check("readlink into a short buffer truncates", n == 3 && memcmp(buf, "tar", 3) == 0, "expected 3 bytes \"tar\" got %zd", n);
  check_str("open follows the link", tap_read_file(P(d, "l1")), "through the link");
  struct stat st, lst;
  check("stat follows the link", stat(P(d, "l1"), &st) == 0 && S_ISREG(st.st_mode), "expected S_IFREG");
  check("lstat does not", lstat(P(d, "l1"), &lst) == 0 && S_ISLNK(lst.st_mode), "expected S_IFLNK");
  check_int("lstat size of a link is its target length", lst.st_size, 6);
  check_err("readlink of a regular file is EINVAL", readlink(P(d, "target"), buf, sizeof buf), EINVAL);
  check_err("readlink of a missing name is ENOENT", readlink(P(d, "ghost"), buf, sizeof buf), ENOENT);
  check_err("symlink over an existing name is EEXIST", symlink("x", P(d, "target")), EEXIST);
  check_err("symlink in a missing directory is ENOENT", symlink("x", P(d, "nodir/l")), ENOENT);
}

static void directories(const char *d) {
  mkdir(P(d, "dir"), 0755);
  tap_write_file(P(d, "dir/inner"), "inner");
  check_int("symlink to a directory", symlink("dir", P(d, "ldir")), 0);
  check_str("a path through a directory link", tap_read_file(P(d, "ldir/inner")), "inner");
  check_int("create a file through a directory link", tap_write_file(P(d, "ldir/new"), "n"), 0);
  struct stat st;
  check_int("the file lands in the real directory", stat(P(d, "dir/new"), &st), 0);
  check_int("a relative target with ..", symlink("../target", P(d, "dir/up")), 0);
  check_str("following ../target", tap_read_file(P(d, "dir/up")), "through the link");
  char abs[512];
  snprintf(abs, sizeof abs, "%s/target", d);
  check_int("symlink with an absolute target", symlink(abs, P(d, "labs")), 0);
  check_str("an absolute target resolves inside the root", tap_read_file(P(d, "labs")), "through the link");
  char name[32], prev[32] = "target";
  for (int i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "chain%d", i);
    symlink(prev, P(d, name));
    strcpy(prev, name);
  }
  check_str("following a chain of 10 links", tap_read_file(P(d, "chain9")), "through the link");
  for (int i = 10; i < 41; i++) {
    snprintf(name, sizeof name, "chain%d", i);
    symlink(prev, P(d, name));
    strcpy(prev, name);
  }
  /* chainK takes K + 1 follows; Linux (and POSIX's SYMLOOP_MAX here) allows 40 */
  check_str("a chain of 40 links is followed", tap_read_file(P(d, "chain39")), "through the link");
  check_err("a chain of 41 links is ELOOP", open(P(d, "chain40"), O_RDONLY), ELOOP);
}

static void loops(const char *d) {
  symlink("loopb", P(d, "loopa"));
  symlink("loopa", P(d, "loopb"));
  symlink("self", P(d, "self"));
  struct stat st;
  check_err("open of a two-link loop is ELOOP", open(P(d, "loopa"), O_RDONLY), ELOOP);
  check_err("stat of a two-link loop is ELOOP", stat(P(d, "loopa"), &st), ELOOP);
  check_err("open of a self loop is ELOOP", open(P(d, "self"), O_RDONLY), ELOOP);
  check_err("a loop in the middle of a path is ELOOP", stat(P(d, "self/x"), &st), ELOOP);
  check_err("O_CREAT through a loop is ELOOP", open(P(d, "loopa"), O_WRONLY | O_CREAT, 0644), ELOOP);
  check("lstat of a loop link works", lstat(P(d, "loopa"), &st) == 0 && S_ISLNK(st.st_mode), "expected S_IFLNK");
  check_int("unlink of a loop link", unlink(P(d, "self")), 0);
}

static void dangling(const char *d) {
  check_int("a dangling symlink can be made", symlink("nowhere", P(d, "dang")), 0);
  struct stat st;
  check_err("stat of a dangling link is ENOENT", stat(P(d, "dang"), &st), ENOENT);
  check("lstat of a dangling link works", lstat(P(d, "dang"), &st) == 0 && S_ISLNK(st.st_mode), "expected S_IFLNK");
  check_err("open of a dangling link is ENOENT", open(P(d, "dang"), O_RDONLY), ENOENT);
  check_err("O_CREAT|O_EXCL on a dangling link is EEXIST", open(P(d, "dang"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  check_err("a path through a dangling link is ENOENT", stat(P(d, "dang/x"), &st), ENOENT);
  check_err2("O_DIRECTORY|O_NOFOLLOW on a dangling link fails", open(P(d, "dang"), O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR, ELOOP);
  check_err("O_NOFOLLOW on a dangling link is ELOOP", open(P(d, "dang"), O_RDONLY | O_NOFOLLOW), ELOOP);
  check_int("unlink of a dangling link", unlink(P(d, "dang")), 0);
}

static void nofollow(const char *d) {
  check_err("O_NOFOLLOW on a link to a file is ELOOP", open(P(d, "l1"), O_RDONLY | O_NOFOLLOW), ELOOP);
  int fd = open(P(d, "target"), O_RDONLY | O_NOFOLLOW);
  check_ok("O_NOFOLLOW on a regular file opens it", fd);
  close(fd);
  fd = open(P(d, "ldir/inner"), O_RDONLY | O_NOFOLLOW);
  check_ok("O_NOFOLLOW still follows links before the last component", fd);
  close(fd);
  check_err2("O_DIRECTORY|O_NOFOLLOW on a link to a directory fails", open(P(d, "ldir"), O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR, ELOOP);
}

static void removal(const char *d) {
  symlink("target", P(d, "l2"));
  check_int("rename a link", rename(P(d, "l2"), P(d, "l3")), 0);
  char buf[64] = {0};
  readlink(P(d, "l3"), buf, sizeof buf);
  check_str("a renamed link keeps its target", buf, "target");
  check_int("unlink a link", unlink(P(d, "l3")), 0);
  struct stat st;
  check_int("unlinking a link leaves its target", stat(P(d, "target"), &st), 0);
  check_err("rmdir of a link to a directory is ENOTDIR", rmdir(P(d, "ldir")), ENOTDIR);
  check_int("unlink a link to a directory", unlink(P(d, "ldir")), 0);
  check("the directory survives", stat(P(d, "dir"), &st) == 0 && S_ISDIR(st.st_mode), "expected S_IFDIR");
}

int main(void) {
  const char *d = tap_scratch("symlinks");
  basics(d);
  directories(d);
  loops(d);
  dangling(d);
  nofollow(d);
  removal(d);
  return tap_done();
}
