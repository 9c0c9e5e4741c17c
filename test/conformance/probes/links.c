/*
 * Names in a directory under the root preopen: symlinks (nofollow errors,
 * dangling, loops, readlink into short buffers, times on the link itself),
 * hard links, renames, trailing slashes on every name-taking call, removing
 * a non-empty directory, fd_readdir (".", "..", inode numbers, cookies,
 * 1000 entries) and removing what open fds still name.
 * Covers: nofollow_errors, dangling_symlink, symlink_loop, symlink_create
 * (an absolute target only from the root), symlink_filestat, readlink,
 * path_symlink_trailing_slashes, path_link,
 * path_rename, path_rename_dir_trailing_slashes, unlink_file_trailing_slashes,
 * remove_directory_trailing_slashes, remove_nonempty_directory, fd_readdir,
 * fdopendir-with-access, path_exists, dangling_fd.
 */
#include "probe.h"

static uint8_t rbuf[4096];

/* Entries of one fd_readdir call of `len` bytes from `cookie`; *last gets the final d_next. */
static int entries(__wasi_fd_t dir, __wasi_dircookie_t cookie, size_t len, int *eof, __wasi_dircookie_t *last,
                   const char *find, __wasi_inode_t *ino) {
  __wasi_size_t used = 0;
  if (__wasi_fd_readdir(dir, rbuf, len, cookie, &used) != 0) return -1;
  *eof = used < len;
  int count = 0;
  size_t off = 0;
  while (off + sizeof(__wasi_dirent_t) <= used) {
    __wasi_dirent_t d;
    memcpy(&d, rbuf + off, sizeof d);
    if (off + sizeof d + d.d_namlen > used) break;
    if (find && d.d_namlen == strlen(find) && memcmp(rbuf + off + sizeof d, find, d.d_namlen) == 0) *ino = d.d_ino;
    *last = d.d_next;
    off += sizeof d + d.d_namlen;
    count++;
  }
  return count;
}

int main(void) {
  int pre = probe_preopen("/");
  if (pre < 0) { EXPECT("root preopen", 0); return probe_done(); }
  __wasi_fd_t dir = probe_tmp_dir(pre, "links.cleanup");
  __wasi_fd_t fd;
  __wasi_filestat_t fs, fs2;
  __wasi_size_t used;
  char lb[10];

  /* nofollow_errors */
  OK("mkdir target", __wasi_path_create_directory(dir, "target"));
  OK("symlink to a dir", __wasi_path_symlink("target", dir, "symlink"));
  FAILS2("nofollow O_DIRECTORY on a dir link", __wasi_path_open(dir, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTDIR);
  FAILS2("nofollow open of a dir link", __wasi_path_open(dir, 0, "symlink", 0, 0, 0, 0, &fd), __WASI_ERRNO_LOOP, __WASI_ERRNO_ACCES);
  OK("follow O_DIRECTORY", __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
  (void)!__wasi_fd_close(fd);
  OK("unlink the dir link", __wasi_path_unlink_file(dir, "symlink"));
  OK("rmdir target", __wasi_path_remove_directory(dir, "target"));
  probe_touch(dir, "target");
  OK("symlink to a file", __wasi_path_symlink("target", dir, "symlink"));
  FAILS2("nofollow O_DIRECTORY on a file link", __wasi_path_open(dir, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTDIR);
  FAILS("nofollow open of a file link", __wasi_path_open(dir, 0, "symlink", 0, 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
  FAILS("follow O_DIRECTORY to a file", __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR);

  /* readlink */
  memset(lb, 0, sizeof lb);
  OK("readlink", __wasi_path_readlink(dir, "symlink", (uint8_t *)lb, 10, &used));
  EXPECT("readlink gives target, rest untouched", used == 6 && memcmp(lb, "target\0\0\0\0", 10) == 0);
  OK("readlink into 4 bytes", __wasi_path_readlink(dir, "symlink", (uint8_t *)lb, 4, &used));
  EXPECT("readlink truncates", used == 4 && memcmp(lb, "targ", 4) == 0);
  FAILS("readlink of a file", __wasi_path_readlink(dir, "target", (uint8_t *)lb, 10, &used), __WASI_ERRNO_INVAL);

  /* symlink_filestat: times on the link itself vs through it */
  OK("stat file", __wasi_path_filestat_get(dir, 0, "target", &fs));
  OK("lstat link", __wasi_path_filestat_get(dir, 0, "symlink", &fs2));
  EXPECT("lstat is a symlink", fs2.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
  OK("set the link's mtim", __wasi_path_filestat_set_times(dir, 0, "symlink", 0, fs2.mtim - 200, __WASI_FSTFLAGS_MTIM));
  __wasi_filestat_t t;
  OK("lstat again", __wasi_path_filestat_get(dir, 0, "symlink", &t));
  EXPECT("link mtim changed", t.mtim == fs2.mtim - 200);
  OK("stat file again", __wasi_path_filestat_get(dir, 0, "target", &t));
  EXPECT("file mtim unchanged", t.mtim == fs.mtim);
  OK("stat through link", __wasi_path_filestat_get(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", &t));
  EXPECT("followed stat is the file", t.ino == fs.ino && t.filetype == __WASI_FILETYPE_REGULAR_FILE);
  OK("set mtim through the link", __wasi_path_filestat_set_times(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", 0, 12345, __WASI_FSTFLAGS_MTIM));
  OK("stat file 3", __wasi_path_filestat_get(dir, 0, "target", &t));
  EXPECT("file mtim set through link", t.mtim == 12345);
  OK("unlink link", __wasi_path_unlink_file(dir, "symlink"));

  /* dangling and looping symlinks */
  OK("dangling symlink", __wasi_path_symlink("nowhere", dir, "dangling"));
  FAILS2("open dangling O_DIRECTORY", __wasi_path_open(dir, 0, "dangling", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_LOOP);
  FAILS("open dangling nofollow", __wasi_path_open(dir, 0, "dangling", 0, 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
  FAILS("open dangling follow", __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", 0, 0, 0, 0, &fd), __WASI_ERRNO_NOENT);
  OK("unlink dangling", __wasi_path_unlink_file(dir, "dangling"));
  OK("symlink loop", __wasi_path_symlink("loop", dir, "loop"));
  FAILS("open a loop", __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop", 0, 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
  FAILS("walk through a loop", __wasi_path_open(dir, 0, "loop/x", 0, 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
  OK("unlink loop", __wasi_path_unlink_file(dir, "loop"));
  FAILS("absolute symlink target from a directory fd", __wasi_path_symlink("/", dir, "abs"), __WASI_ERRNO_PERM);
  OK("absolute symlink target from the root preopen", __wasi_path_symlink("/etc", pre, "links.cleanup/abs"));
  FAILS("following an absolute symlink from a directory fd", __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs", 0, 0, 0, 0, &fd), __WASI_ERRNO_PERM);
  OK("unlink abs", __wasi_path_unlink_file(dir, "abs"));

  /* symlink trailing slashes */
  FAILS("symlink to name/ (missing)", __wasi_path_symlink("source", dir, "new/"), __WASI_ERRNO_NOENT);
  OK("mkdir d", __wasi_path_create_directory(dir, "d"));
  FAILS("symlink onto d/", __wasi_path_symlink("source", dir, "d/"), __WASI_ERRNO_EXIST);
  FAILS("symlink onto d", __wasi_path_symlink("source", dir, "d"), __WASI_ERRNO_EXIST);
  FAILS2("symlink onto file/", __wasi_path_symlink("source", dir, "target/"), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_EXIST);
  FAILS("symlink onto file", __wasi_path_symlink("source", dir, "target"), __WASI_ERRNO_EXIST);

  /* hard links */
  OK("link", __wasi_path_link(dir, 0, "target", dir, "hard"));
  OK("stat hard", __wasi_path_filestat_get(dir, 0, "hard", &t));
  OK("stat target", __wasi_path_filestat_get(dir, 0, "target", &fs));
  EXPECT("same inode, nlink 2", t.ino == fs.ino && t.dev == fs.dev && fs.nlink == 2 && t.mtim == fs.mtim);
  FAILS("link onto an existing name", __wasi_path_link(dir, 0, "target", dir, "hard"), __WASI_ERRNO_EXIST);
  FAILS("link onto itself", __wasi_path_link(dir, 0, "target", dir, "target"), __WASI_ERRNO_EXIST);
  FAILS("link onto a directory", __wasi_path_link(dir, 0, "target", dir, "d"), __WASI_ERRNO_EXIST);
  FAILS2("link a directory", __wasi_path_link(dir, 0, "d", dir, "dlink"), __WASI_ERRNO_PERM, __WASI_ERRNO_ACCES);
  FAILS("link to name/", __wasi_path_link(dir, 0, "target", dir, "new/"), __WASI_ERRNO_NOENT);
  OK("dangling symlink 2", __wasi_path_symlink("nowhere", dir, "sym"));
  OK("link a dangling symlink", __wasi_path_link(dir, 0, "sym", dir, "symhard"));
  FAILS("link onto a dangling symlink", __wasi_path_link(dir, 0, "target", dir, "sym"), __WASI_ERRNO_EXIST);
  FAILS2("link with SYMLINK_FOLLOW", __wasi_path_link(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sym", dir, "x"), __WASI_ERRNO_INVAL, __WASI_ERRNO_NOENT);
  OK("unlink sym", __wasi_path_unlink_file(dir, "sym"));
  OK("unlink symhard", __wasi_path_unlink_file(dir, "symhard"));
  OK("unlink hard", __wasi_path_unlink_file(dir, "hard"));

  /* unlink/rmdir trailing slashes */
  FAILS("unlink a dir", __wasi_path_unlink_file(dir, "d"), __WASI_ERRNO_ISDIR);
  FAILS("unlink dir/", __wasi_path_unlink_file(dir, "d/"), __WASI_ERRNO_ISDIR);
  FAILS("unlink file/", __wasi_path_unlink_file(dir, "target/"), __WASI_ERRNO_NOTDIR);
  FAILS("rmdir a file", __wasi_path_remove_directory(dir, "target"), __WASI_ERRNO_NOTDIR);
  FAILS("rmdir file/", __wasi_path_remove_directory(dir, "target/"), __WASI_ERRNO_NOTDIR);
  OK("rmdir d/", __wasi_path_remove_directory(dir, "d/"));

  /* renames */
  OK("mkdir s", __wasi_path_create_directory(dir, "s"));
  OK("rename dir", __wasi_path_rename(dir, "s", dir, "t"));
  FAILS("old name gone", __wasi_path_open(dir, 0, "s", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), __WASI_ERRNO_NOENT);
  OK("mkdir s 2", __wasi_path_create_directory(dir, "s"));
  OK("rename dir onto an empty dir", __wasi_path_rename(dir, "s", dir, "t"));
  OK("mkdir s 3", __wasi_path_create_directory(dir, "s"));
  probe_touch(dir, "t/file");
  FAILS("rename onto a non-empty dir", __wasi_path_rename(dir, "s", dir, "t"), __WASI_ERRNO_NOTEMPTY);
  FAILS("rename a dir onto a file", __wasi_path_rename(dir, "s", dir, "t/file"), __WASI_ERRNO_NOTDIR);
  FAILS("rmdir a non-empty dir", __wasi_path_remove_directory(dir, "t"), __WASI_ERRNO_NOTEMPTY);
  OK("rename s/ to u", __wasi_path_rename(dir, "s/", dir, "u"));
  OK("rename u to s/", __wasi_path_rename(dir, "u", dir, "s/"));
  OK("rename s/ to u/", __wasi_path_rename(dir, "s/", dir, "u/"));
  FAILS("rename a file to x/", __wasi_path_rename(dir, "target", dir, "x/"), __WASI_ERRNO_NOTDIR);
  FAILS("rename file/ to x", __wasi_path_rename(dir, "target/", dir, "x"), __WASI_ERRNO_NOTDIR);
  FAILS("rename a file onto a dir", __wasi_path_rename(dir, "target", dir, "u"), __WASI_ERRNO_ISDIR);
  probe_touch(dir, "other");
  OK("rename a file onto a file", __wasi_path_rename(dir, "other", dir, "target"));
  FAILS("renamed source gone", __wasi_path_open(dir, 0, "other", 0, 0, 0, 0, &fd), __WASI_ERRNO_NOENT);
  OK("unlink t/file", __wasi_path_unlink_file(dir, "t/file"));
  OK("rmdir t", __wasi_path_remove_directory(dir, "t"));
  OK("rmdir u", __wasi_path_remove_directory(dir, "u"));

  /* dangling fds: remove what open fds name */
  __wasi_fd_t f1, d1;
  OK("open file", __wasi_path_open(dir, 0, "target", 0, __WASI_RIGHTS_FD_FILESTAT_GET, 0, 0, &f1));
  OK("mkdir gone", __wasi_path_create_directory(dir, "gone"));
  OK("open gone", __wasi_path_open(dir, 0, "gone", __WASI_OFLAGS_DIRECTORY, PROBE_DIR_RIGHTS, 0, 0, &d1));
  OK("unlink open file", __wasi_path_unlink_file(dir, "target"));
  OK("rmdir open dir", __wasi_path_remove_directory(dir, "gone"));
  OK("stat the unlinked file's fd", __wasi_fd_filestat_get(f1, &t));
  FAILS("create in a removed dir", __wasi_path_create_directory(d1, "x"), __WASI_ERRNO_NOENT);
  OK("close f1", __wasi_fd_close(f1));
  OK("close d1", __wasi_fd_close(d1));

  /* fd_readdir */
  __wasi_filestat_t ds;
  OK("stat scratch", __wasi_fd_filestat_get(dir, &ds));
  int eof = 0;
  __wasi_dircookie_t last = 0;
  __wasi_inode_t dot = 0, fino = 0;
  EXPECT("empty dir lists . and ..", entries(dir, 0, 256, &eof, &last, ".", &dot) == 2 && eof);
  EXPECT(". has the dir's inode", dot == ds.ino);
  probe_touch(dir, "file");
  OK("stat file", __wasi_path_filestat_get(dir, 0, "file", &fs));
  EXPECT("three entries", entries(dir, 0, 256, &eof, &last, "file", &fino) == 3 && eof);
  EXPECT("file's d_ino is its st_ino", fino == fs.ino);
  __wasi_dircookie_t after2 = 0;
  entries(dir, 0, 2 * sizeof(__wasi_dirent_t) + 3, &eof, &after2, NULL, NULL);
  EXPECT("from the second entry's cookie: one entry", entries(dir, after2, 256, &eof, &last, "file", &fino) == 1 && eof);
  OK("unlink file", __wasi_path_unlink_file(dir, "file"));
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "file.%d", i);
    probe_touch(dir, name);
  }
  int total = 0, rounds = 0;
  __wasi_dircookie_t c = 0;
  for (;;) {
    int n = entries(dir, c, 256, &eof, &c, NULL, NULL);
    if (n < 0 || ++rounds > 10000) break;
    total += n;
    if (eof) break;
  }
  EXPECT("1000 files plus . and ..", total == 1002);
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "file.%d", i);
    (void)!__wasi_path_unlink_file(dir, name);
  }

  OK("close scratch", __wasi_fd_close(dir));
  OK("rmdir scratch", __wasi_path_remove_directory(pre, "links.cleanup"));
  return probe_done();
}
