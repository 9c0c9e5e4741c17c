/*
 * dirs: directories. mkdir/rmdir and their errors (EEXIST, ENOENT, ENOTDIR,
 * ENOTEMPTY), unlink of a directory, opening directories, O_DIRECTORY,
 * `.` and `..` in paths, chdir and relative paths, and `..` at the root.
 */
#include "tap.h"

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void making(const char *d) {
  check_int("mkdir", mkdir(P(d, "sub"), 0755), 0);
  check("mkdir makes a directory", is_dir(P(d, "sub")), "expected a directory");
  check_err("mkdir of an existing directory is EEXIST", mkdir(P(d, "sub"), 0755), EEXIST);
  tap_write_file(P(d, "file"), "x");
  check_err("mkdir over a file is EEXIST", mkdir(P(d, "file"), 0755), EEXIST);
  check_err("mkdir with a missing parent is ENOENT", mkdir(P(d, "nope/sub"), 0755), ENOENT);
  check_err("mkdir under a file is ENOTDIR", mkdir(P(d, "file/sub"), 0755), ENOTDIR);
  check_int("mkdir with a trailing slash", mkdir(P(d, "slash/"), 0755), 0);
  check("the trailing-slash directory exists", is_dir(P(d, "slash")), "expected a directory");
  check_int("mkdir nested", mkdir(P(d, "sub/inner"), 0755), 0);
  check("path through . and ..", is_dir(P(d, "sub/./inner/../inner")), "expected a directory");
}

static void removing(const char *d) {
  check_err("rmdir of a non-empty directory is ENOTEMPTY", rmdir(P(d, "sub")), ENOTEMPTY);
  check_int("rmdir of an empty directory", rmdir(P(d, "sub/inner")), 0);
  struct stat st;
  check_err("stat after rmdir is ENOENT", stat(P(d, "sub/inner"), &st), ENOENT);
  check_err("rmdir of a file is ENOTDIR", rmdir(P(d, "file")), ENOTDIR);
  check_err("rmdir of a missing name is ENOENT", rmdir(P(d, "ghost")), ENOENT);
  check_err2("unlink of a directory fails", unlink(P(d, "sub")), EISDIR, EPERM);
  check("the directory survives a failed unlink", is_dir(P(d, "sub")), "expected a directory");
  mkdir(P(d, "dot"), 0755);
  check_err2("rmdir of . fails", rmdir(P(d, "dot/.")), EINVAL, EBUSY);
  check_int("rmdir with a trailing slash", rmdir(P(d, "slash/")), 0);
  check_int("rmdir the emptied directory", rmdir(P(d, "sub")), 0);
}

static void opening(const char *d) {
  mkdir(P(d, "od"), 0755);
  int fd = open(P(d, "od"), O_RDONLY | O_DIRECTORY);
  check_ok("open a directory with O_DIRECTORY", fd);
  struct stat st;
  check("fstat of a directory fd", fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), "expected S_IFDIR");
  char c;
  check_err2("read on a directory fd fails", read(fd, &c, 1), EISDIR, EBADF);
  close(fd);
  fd = open(P(d, "od"), O_RDONLY);
  check_ok("open a directory without O_DIRECTORY", fd);
  close(fd);
  check_err("open a file with O_DIRECTORY is ENOTDIR", open(P(d, "file"), O_RDONLY | O_DIRECTORY), ENOTDIR);
  check_err("open a directory for writing is EISDIR", open(P(d, "od"), O_WRONLY), EISDIR);
  check_err("open a directory O_RDWR is EISDIR", open(P(d, "od"), O_RDWR), EISDIR);
  check_err2("open a directory with O_CREAT fails", open(P(d, "od"), O_RDONLY | O_CREAT, 0644), EISDIR, EEXIST);
}

static void cwd(const char *d) {
  mkdir(P(d, "cwd"), 0755);
  check_int("chdir", chdir(P(d, "cwd")), 0);
  char buf[512];
  check_str("getcwd after chdir", getcwd(buf, sizeof buf), P(d, "cwd"));
  check_int("a relative create after chdir", tap_write_file("rel", "r"), 0);
  struct stat st;
  check_int("the relative file is in the new cwd", stat(P(d, "cwd/rel"), &st), 0);
  check_int("mkdir relative", mkdir("rdir", 0755), 0);
  check_int("chdir relative", chdir("rdir"), 0);
  check_int("relative .. reaches the parent", stat("../rel", &st), 0);
  check_err("chdir into a file is ENOTDIR", chdir(P(d, "file")), ENOTDIR);
  check_err("chdir to a missing directory is ENOENT", chdir(P(d, "ghost")), ENOENT);
  chdir("/");
}

static void root_dotdot(void) {
  struct stat root, up;
  stat("/", &root);
  int rc = stat("/..", &up);
  if (rc == 0)
    check("/.. does not leave the root", up.st_ino == root.st_ino && up.st_dev == root.st_dev, "expected the root itself");
  else
    check_err2("/.. does not leave the root", rc, ENOTCAPABLE, EPERM);
  rc = stat("/../../..", &up);
  if (rc == 0)
    check("/../../.. does not leave the root", up.st_ino == root.st_ino, "expected the root itself");
  else
    check_err2("/../../.. does not leave the root", rc, ENOTCAPABLE, EPERM);
}

int main(void) {
  const char *d = tap_scratch("dirs");
  making(d);
  removing(d);
  opening(d);
  cwd(d);
  root_dotdot();
  return tap_done();
}
