/*
 * The root preopen as the suite's tests see it (json "root": the rootfs is
 * preopened as "/"): the rights it carries, reopening ".", capability path
 * resolution (absolute paths and ".." above a directory fd are EPERM),
 * odd but legal paths, closing and renumbering over a preopen.
 * Covers: path_open_preopen, interesting_paths, close_preopen,
 * overwrite_preopen, path_open_nonblock, dir_fd_op_failures (prestat part).
 */
#include "probe.h"

int main(void) {
  int pre = probe_preopen("/");
  EXPECT("a preopen named / exists", pre >= 3);
  if (pre < 0) return probe_done();

  __wasi_fdstat_t st;
  OK("fdstat of the preopen", __wasi_fd_fdstat_get(pre, &st));
  __wasi_rights_t need = __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE |
      __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN |
      __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE |
      __WASI_RIGHTS_PATH_RENAME_TARGET | __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |
      __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES |
      __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;
  __wasi_rights_t inh = need | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
      __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_WRITE |
      __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
      __WASI_RIGHTS_POLL_FD_READWRITE;
  EXPECT("preopen base rights hold every directory right", (st.fs_rights_base & need) == need);
  EXPECT("preopen inheriting rights hold every file right", (st.fs_rights_inheriting & inh) == inh);

  __wasi_fd_t fd;
  OK("reopen . with the same rights", __wasi_path_open(pre, 0, ".", 0, st.fs_rights_base, st.fs_rights_inheriting, 0, &fd));
  OK("reopen . with no rights", __wasi_path_open(pre, 0, ".", 0, 0, 0, 0, &fd));
  OK("reopen . O_DIRECTORY with no rights", __wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));
  OK("reopen . O_DIRECTORY with FD_READ", __wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  OK("reopen . with NONBLOCK", __wasi_path_open(pre, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &fd));
  FAILS("reopen . O_DIRECTORY read+write is EISDIR",
        __wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd),
        __WASI_ERRNO_ISDIR);

  /* fd_prestat_dir_name buffer sizes */
  __wasi_prestat_t ps;
  OK("prestat", __wasi_fd_prestat_get(pre, &ps));
  uint8_t name[8];
  FAILS2("prestat_dir_name into 0 bytes", __wasi_fd_prestat_dir_name(pre, name, 0), __WASI_ERRNO_INVAL, __WASI_ERRNO_NAMETOOLONG);
  OK("prestat_dir_name into a larger buffer", __wasi_fd_prestat_dir_name(pre, name, ps.u.dir.pr_name_len + 1));

  __wasi_fd_t root;
  OK("open the root directory", __wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base, st.fs_rights_inheriting, 0, &root));
  __wasi_fd_t dir = probe_tmp_dir(root, "paths.cleanup");
  OK("mkdir dir", __wasi_path_create_directory(dir, "dir"));
  OK("mkdir dir/nested", __wasi_path_create_directory(dir, "dir/nested"));
  probe_touch(dir, "dir/nested/file");
  FAILS("absolute path is EPERM", __wasi_path_open(dir, 0, "/dir/nested/file", 0, 0, 0, 0, &fd), __WASI_ERRNO_PERM);
  FAILS("absolute path from the preopen is EPERM", __wasi_path_open(pre, 0, "/paths.cleanup", 0, 0, 0, 0, &fd), __WASI_ERRNO_PERM);
  OK("dots and slashes inside the tree", __wasi_path_open(dir, 0, "dir/.//nested/../../dir/nested/../nested///./file", 0, 0, 0, 0, &fd));
  EXPECT("new fd above stdio", fd > 2);
  (void)!__wasi_fd_close(fd);
  static const char nul[] = "dir/nested/file\0";
  int32_t e = probe_raw_path_open(dir, 0, (int32_t)nul, sizeof nul - 1, 0, 0, 0, 0, (int32_t)&fd);
  probe_line(e == __WASI_ERRNO_INVAL || e == __WASI_ERRNO_ILSEQ, "trailing NUL is EINVAL", "got %d", e);
  FAILS2("file with a trailing slash", __wasi_path_open(dir, 0, "dir/nested/file/", 0, 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOENT);
  FAILS2("file with trailing slashes", __wasi_path_open(dir, 0, "dir/nested/file///", 0, 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOENT);
  OK("directory with a trailing slash", __wasi_path_open(dir, 0, "dir/nested/", 0, 0, 0, 0, &fd));
  (void)!__wasi_fd_close(fd);
  OK("directory with trailing slashes", __wasi_path_open(dir, 0, "dir/nested///", 0, 0, 0, 0, &fd));
  (void)!__wasi_fd_close(fd);
  FAILS("too many .. is EPERM", __wasi_path_open(dir, 0, "dir/nested/../../../paths.cleanup/dir/nested/file", 0, 0, 0, 0, &fd), __WASI_ERRNO_PERM);
  FAILS("symlink escaping the fd is EPERM", ((void)!__wasi_path_symlink("../paths.cleanup/dir", dir, "up"),
        __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up/nested/file", 0, 0, 0, 0, &fd)), __WASI_ERRNO_PERM);
  OK("unlink up", __wasi_path_unlink_file(dir, "up"));
  OK("unlink file", __wasi_path_unlink_file(dir, "dir/nested/file"));
  OK("rmdir nested", __wasi_path_remove_directory(dir, "dir/nested"));
  OK("rmdir dir", __wasi_path_remove_directory(dir, "dir"));

  /* overwrite_preopen: renumber a directory over the preopen */
  __wasi_filestat_t a, b;
  OK("filestat of scratch", __wasi_fd_filestat_get(dir, &a));
  OK("renumber scratch over the preopen", __wasi_fd_renumber(dir, pre));
  OK("filestat through the preopen's number", __wasi_fd_filestat_get(pre, &b));
  EXPECT("same dev and ino after renumber", a.dev == b.dev && a.ino == b.ino);
  FAILS("old number is closed", __wasi_fd_fdstat_get(dir, &st), __WASI_ERRNO_BADF);

  /* close_preopen */
  OK("close the preopen's number", __wasi_fd_close(pre));
  OK("root dir fd still open", __wasi_fd_fdstat_get(root, &st));
  EXPECT("root dir fd is a directory", st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  FAILS("closed preopen is EBADF", __wasi_fd_fdstat_get(pre, &st), __WASI_ERRNO_BADF);
  OK("rmdir scratch", __wasi_path_remove_directory(root, "paths.cleanup"));
  return probe_done();
}
