/*
 * Everything without a scratch directory, plus fd numbering: clocks,
 * sched_yield, random_get, stdio rights (isatty), poll_oneoff on stdio,
 * fd_renumber (onto an open fd; onto a closed one is EBADF), stdio
 * renumbered away, sock_shutdown on a bad fd and on a non-socket, writes to
 * a bad fd, argv/environ as given, and the exit code from argv[1].
 * Covers: clock_*, clock_time_get, sched_yield, big_random_buf, random_get-*,
 * isatty, stdio, poll_oneoff_stdio, renumber, sock_shutdown-*,
 * fd_write-to-invalid-fd, fd_write-to-stdout, args_*, environ_*, proc_exit-*.
 */
#include <stdlib.h>
#include "probe.h"

int main(int argc, char **argv) {
  __wasi_timestamp_t t0, t1, res;
  OK("realtime res", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
  EXPECT("realtime res > 0", res > 0);
  OK("monotonic res", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
  EXPECT("monotonic res > 0", res > 0);
  OK("realtime", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0));
  EXPECT("realtime after 2020", t0 > 1577836800000000000ULL);
  OK("monotonic", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0));
  OK("sched_yield", __wasi_sched_yield());
  OK("monotonic again", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t1));
  EXPECT("monotonic does not go back", t1 >= t0);

  static uint8_t big[1 << 20];
  OK("random 1 MiB", __wasi_random_get(big, sizeof big));
  int nz = 0;
  for (size_t i = 0; i < 4096; i++) nz += big[i] != 0;
  EXPECT("random bytes are not all zero", nz > 3000);
  OK("random 0 bytes", __wasi_random_get(big, 0));

  __wasi_fdstat_t st;
  for (int fd = 0; fd < 3; fd++) OK("stdio fdstat", __wasi_fd_fdstat_get(fd, &st));

  /* poll: a clock with stdin read; then stdout and stderr writable at once */
  __wasi_subscription_t sub[3];
  __wasi_event_t ev[3];
  __wasi_size_t n = 0;
  memset(sub, 0, sizeof sub);
  sub[0].userdata = 11;
  sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[0].u.u.clock.timeout = 200000000;
  sub[1].userdata = 12;
  sub[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  sub[1].u.u.fd_read.file_descriptor = 0;
  OK("poll clock + stdin", __wasi_poll_oneoff(sub, ev, 2, &n));
  int good = n >= 1;
  for (__wasi_size_t i = 0; i < n; i++) good &= ev[i].error == 0 && (ev[i].userdata == 11 || ev[i].userdata == 12);
  EXPECT("clock or stdin event, no error", good);
  sub[1].userdata = 1;
  sub[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  sub[1].u.u.fd_write.file_descriptor = 1;
  sub[2].userdata = 2;
  sub[2].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  sub[2].u.u.fd_write.file_descriptor = 2;
  OK("poll stdout + stderr + clock", __wasi_poll_oneoff(sub, ev, 3, &n));
  int w = 0;
  for (__wasi_size_t i = 0; i < n; i++) {
    if (ev[i].userdata == 1 || ev[i].userdata == 2) w += ev[i].error == 0 && ev[i].type == __WASI_EVENTTYPE_FD_WRITE;
  }
  EXPECT("stdout and stderr are writable, no timeout", w == 2);

  /* sockets and bad fds */
  FAILS("sock_shutdown of a bad fd", __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD), __WASI_ERRNO_BADF);
  FAILS("sock_shutdown of stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
  __wasi_ciovec_t ci = {(const uint8_t *)"x", 1};
  FAILS("write to a bad fd", __wasi_fd_write(99, &ci, 1, &n), __WASI_ERRNO_BADF);

  /* args and environ as given */
  __wasi_size_t ac, asz, ec, esz;
  OK("args_sizes_get", __wasi_args_sizes_get(&ac, &asz));
  EXPECT("argc matches", (int)ac == argc);
  OK("environ_sizes_get", __wasi_environ_sizes_get(&ec, &esz));
  char **env = malloc((ec + 1) * sizeof(char *));
  char *envbuf = malloc(esz + 1);
  OK("environ_get", __wasi_environ_get((uint8_t **)env, (uint8_t *)envbuf));
  char line[256];
  snprintf(line, sizeof line, "environ count %u\n", (unsigned)ec);
  probe_out(line);
  for (size_t i = 0; i < ec; i++) {
    snprintf(line, sizeof line, "env %s\n", env[i]);
    probe_out(line);
  }
  for (int i = 1; i < argc; i++) {
    snprintf(line, sizeof line, "arg %s\n", argv[i]);
    probe_out(line);
  }

  /* renumber: onto an open fd moves it; onto a closed fd is EBADF */
  int pre = probe_preopen("/");
  if (pre >= 0) {
    __wasi_fd_t a, b;
    OK("create r1", __wasi_path_open(pre, 0, "r1.cleanup", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &a));
    OK("create r2", __wasi_path_open(pre, 0, "r2.cleanup", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &b));
    __wasi_fdstat_t sa, sb;
    OK("fdstat r1", __wasi_fd_fdstat_get(a, &sa));
    EXPECT("a file is not a tty (has seek/tell or is not a char device)",
           sa.fs_filetype != __WASI_FILETYPE_CHARACTER_DEVICE);
    OK("renumber r1 onto r2", __wasi_fd_renumber(a, b));
    FAILS("the old number is closed", __wasi_fd_close(a), __WASI_ERRNO_BADF);
    OK("fdstat r2", __wasi_fd_fdstat_get(b, &sb));
    EXPECT("same fdstat", sa.fs_filetype == sb.fs_filetype && sa.fs_flags == sb.fs_flags &&
           sa.fs_rights_base == sb.fs_rights_base && sa.fs_rights_inheriting == sb.fs_rights_inheriting);
    /* rust/renumber: onto a closed fd (above stdio) is EBADF, and nothing moves */
    FAILS("renumber onto a closed fd", __wasi_fd_renumber(b, a), __WASI_ERRNO_BADF);
    OK("the source keeps its number", __wasi_fd_fdstat_get(b, &sb));
    OK("close the file", __wasi_fd_close(b));
    /* stdio renumbered away: stdin onto a file, then stdin is closed */
    OK("create r3", __wasi_path_open(pre, 0, "r3.cleanup", __WASI_OFLAGS_CREAT, 0, 0, 0, &a));
    OK("renumber stdin onto r3", __wasi_fd_renumber(0, a));
    OK("r3's number works", __wasi_fd_fdstat_get(a, &st));
    FAILS("stdin is now closed", __wasi_fd_fdstat_get(0, &st), __WASI_ERRNO_BADF);
    (void)!__wasi_path_unlink_file(pre, "r1.cleanup");
    (void)!__wasi_path_unlink_file(pre, "r2.cleanup");
    (void)!__wasi_path_unlink_file(pre, "r3.cleanup");
  }

  if (probe_failures) return 1;
  /* exit with the code in argv[1], if any, through proc_exit */
  if (argc > 1) __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[1]));
  return 0;
}
