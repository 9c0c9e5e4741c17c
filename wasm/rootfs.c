/*
 * rootfs: the root as an overlay over a read-only host directory
 * (`wasmvisor run --rootfs DIR`). The case builds DIR with etc/motd,
 * etc/keep, data/gone.txt, data/dir/inner.txt, data/hard1 = data/hard2 (one
 * inode), data/link -> ../etc/motd and movable/a.txt, and afterwards checks
 * that DIR was not changed at all. Here: lower files read through; writes
 * copy up; unlinks hide lower files (whiteouts) and a new file of the same
 * name is fresh; a re-made lower directory is empty (opaque); lower
 * directories rename with their contents; hard links stay one inode across
 * copy-up; merged listings show every name once.
 */
#include "tap.h"

static int count_name(const char *dir, const char *name) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, name) == 0;
  closedir(d);
  return n;
}

static int plain_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

int main(void) {
  struct stat st;
  check_str("a lower file reads through", tap_read_file("/etc/motd"), "lower motd\n");
  int fd = open("/etc/motd", O_WRONLY | O_APPEND);
  check_ok("open a lower file for writing", fd);
  check_int("append to it", write(fd, "upper\n", 6), 6);
  close(fd);
  check_str("the write is seen (copy-up)", tap_read_file("/etc/motd"), "lower motd\nupper\n");
  check_int("a copied-up file is listed once", count_name("/etc", "motd"), 1);
  check_int("an untouched lower file is listed once", count_name("/etc", "keep"), 1);

  fd = open("/etc/keep", O_WRONLY | O_TRUNC);
  check_ok("O_TRUNC on a lower file", fd);
  close(fd);
  check("the truncated copy is empty", stat("/etc/keep", &st) == 0 && st.st_size == 0, "expected size 0");

  check_int("unlink a lower file", unlink("/data/gone.txt"), 0);
  check_err("it is gone", stat("/data/gone.txt", &st), ENOENT);
  check_int("and not listed", count_name("/data", "gone.txt"), 0);
  check_int("a new file of the same name", tap_write_file("/data/gone.txt", "reborn"), 0);
  check_str("has only its new content", tap_read_file("/data/gone.txt"), "reborn");

  check_err("rmdir of a non-empty lower directory is ENOTEMPTY", rmdir("/data/dir"), ENOTEMPTY);
  check_int("unlink the lower directory's file", unlink("/data/dir/inner.txt"), 0);
  check_int("rmdir of the emptied lower directory", rmdir("/data/dir"), 0);
  check_err("it is gone", stat("/data/dir", &st), ENOENT);
  check_int("mkdir where the lower directory was", mkdir("/data/dir", 0755), 0);
  check_int("the new directory is empty (opaque)", plain_entries("/data/dir"), 0);
  check_err("the lower file does not come back", stat("/data/dir/inner.txt", &st), ENOENT);

  struct stat h1, h2;
  check("lower hard links share an inode", stat("/data/hard1", &h1) == 0 && stat("/data/hard2", &h2) == 0 && h1.st_ino == h2.st_ino,
        "expected one inode");
  check_int("lower hard links have nlink 2", h1.st_nlink, 2);
  fd = open("/data/hard1", O_WRONLY | O_APPEND);
  write(fd, "+more", 5);
  close(fd);
  check_str("a write through one link shows through the other after copy-up", tap_read_file("/data/hard2"), "linked+more");
  check("they still share an inode", stat("/data/hard1", &h1) == 0 && stat("/data/hard2", &h2) == 0 && h1.st_ino == h2.st_ino,
        "expected one inode");
  check_int("and nlink is still 2", h2.st_nlink, 2);

  char target[64] = {0};
  check_int("readlink of a lower symlink", readlink("/data/link", target, sizeof target - 1), 11);
  check_str("its target", target, "../etc/motd");
  check_str("following it reaches the copied-up file", tap_read_file("/data/link"), "lower motd\nupper\n");

  check_int("rename a lower directory", rename("/movable", "/moved"), 0);
  check_str("its files move with it", tap_read_file("/moved/a.txt"), "a");
  check_err("the old name is gone", stat("/movable", &st), ENOENT);
  check_int("the old name is not listed", count_name("/", "movable"), 0);
  check_int("the new name is listed once", count_name("/", "moved"), 1);

  check_int("a new directory in the upper", mkdir("/newdir", 0755), 0);
  check_int("a new file in it", tap_write_file("/newdir/file", "new"), 0);
  check_str("reads back", tap_read_file("/newdir/file"), "new");
  return tap_done();
}
