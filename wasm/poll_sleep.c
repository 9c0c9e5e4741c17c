/*
 * poll_sleep: sleeping and waiting. nanosleep, clock_nanosleep (relative
 * and TIMER_ABSTIME), usleep; poll_oneoff with several clocks at once (only
 * the earliest fires), absolute deadlines in the past, fd subscriptions on
 * regular files, stdout and stdin (the harness pipes STDIN_EXPECT into
 * stdin), bad fds reported per event, and poll(2) with a timeout and no fds.
 */
#include <poll.h>
#include <time.h>
#include <wasi/api.h>

#include "tap.h"

static long long mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define MS 1000000LL

static void sleeps(void) {
  long long t0 = mono_ns();
  struct timespec req = {0, 30 * MS};
  check_int("nanosleep 30 ms", nanosleep(&req, NULL), 0);
  long long el = mono_ns() - t0;
  check("nanosleep sleeps at least 30 ms", el >= 30 * MS, "expected >= 30 ms got %lld us", el / 1000);
  check("nanosleep 30 ms returns within 2 s", el < 2000 * MS, "expected < 2 s");

  t0 = mono_ns();
  check_int("clock_nanosleep relative", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
  check("clock_nanosleep relative sleeps at least 30 ms", mono_ns() - t0 >= 30 * MS, "expected >= 30 ms");

  if (!tap_skip("clock_nanosleep TIMER_ABSTIME")) {
    long long deadline = mono_ns() + 30 * MS;
    struct timespec abs = {deadline / 1000000000LL, deadline % 1000000000LL};
    check_int("clock_nanosleep TIMER_ABSTIME", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
    check("clock_nanosleep TIMER_ABSTIME wakes after the deadline", mono_ns() >= deadline, "expected now >= deadline");
  }

  t0 = mono_ns();
  check_int("clock_nanosleep on CLOCK_REALTIME", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL), 0);
  check("clock_nanosleep on CLOCK_REALTIME sleeps", mono_ns() - t0 >= 30 * MS, "expected >= 30 ms");

  t0 = mono_ns();
  check_int("usleep 20000", usleep(20000), 0);
  check("usleep sleeps at least 20 ms", mono_ns() - t0 >= 20 * MS, "expected >= 20 ms");

  struct timespec zero = {0, 0};
  t0 = mono_ns();
  check_int("nanosleep 0", nanosleep(&zero, NULL), 0);
  check("nanosleep 0 returns at once", mono_ns() - t0 < 2500 * MS, "expected < 2.5 s");
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id, long long timeout, int abstime) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = (__wasi_timestamp_t)timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = abstime ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, int fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  if (type == __WASI_EVENTTYPE_FD_READ)
    s.u.u.fd_read.file_descriptor = (__wasi_fd_t)fd;
  else
    s.u.u.fd_write.file_descriptor = (__wasi_fd_t)fd;
  return s;
}

static void poll_clocks(void) {
  __wasi_subscription_t in[3] = {
      clock_sub(1, __WASI_CLOCKID_MONOTONIC, 3000 * MS, 0),
      clock_sub(2, __WASI_CLOCKID_MONOTONIC, 20 * MS, 0),
      clock_sub(3, __WASI_CLOCKID_REALTIME, 4000 * MS, 0),
  };
  __wasi_event_t out[3];
  memset(out, 0xff, sizeof out);
  __wasi_size_t n = 99;
  long long t0 = mono_ns();
  check_wasi("poll_oneoff with three clocks", __wasi_poll_oneoff(in, out, 3, &n), 0);
  long long el = mono_ns() - t0;
  check_int("only the earliest clock fires", n, 1);
  check_int("the event is the 20 ms clock's", (long long)out[0].userdata, 2);
  check_int("the event type is CLOCK", out[0].type, __WASI_EVENTTYPE_CLOCK);
  check_int("the event has no error", out[0].error, 0);
  check("poll_oneoff waited at least 20 ms", el >= 20 * MS, "expected >= 20 ms got %lld us", el / 1000);
  check("poll_oneoff did not wait for the later clocks", el < 3000 * MS, "expected < 3 s got %lld ms", el / MS);

  if (!tap_skip("poll_oneoff with an absolute deadline in the past")) {
    long long past = mono_ns() - 1000 * MS;
    __wasi_subscription_t abs[2] = {
        clock_sub(7, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0),
        clock_sub(8, __WASI_CLOCKID_MONOTONIC, past, 1),
    };
    t0 = mono_ns();
    check_wasi("poll_oneoff with an absolute deadline in the past", __wasi_poll_oneoff(abs, out, 2, &n), 0);
    check("a past absolute deadline fires at once", mono_ns() - t0 < 2500 * MS, "expected < 2.5 s");
    check("the absolute clock's event", n == 1 && out[0].userdata == 8, "expected one event with userdata 8 got %lu events", (unsigned long)n);
  }

  __wasi_subscription_t rt[1] = {clock_sub(9, __WASI_CLOCKID_REALTIME, 15 * MS, 0)};
  t0 = mono_ns();
  check_wasi("poll_oneoff on a realtime clock", __wasi_poll_oneoff(rt, out, 1, &n), 0);
  check("the realtime timeout elapses", mono_ns() - t0 >= 15 * MS && n == 1 && out[0].userdata == 9, "expected one event after 15 ms");
}

static void poll_fds(void) {
  const char *d = tap_scratch("poll_sleep");
  const char *f = P(d, "file");
  tap_write_file(f, "abc");
  int fd = open(f, O_RDWR);
  __wasi_subscription_t in[3] = {
      fd_sub(10, __WASI_EVENTTYPE_FD_READ, fd),
      fd_sub(11, __WASI_EVENTTYPE_FD_WRITE, fd),
      clock_sub(12, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0),
  };
  __wasi_event_t out[3];
  __wasi_size_t n = 0;
  long long t0 = mono_ns();
  check_wasi("poll_oneoff on a regular file", __wasi_poll_oneoff(in, out, 3, &n), 0);
  check("a regular file is ready at once", mono_ns() - t0 < 2500 * MS, "expected < 2.5 s");
  int rd = 0, wr = 0, clk = 0;
  for (unsigned i = 0; i < n; i++) {
    rd += out[i].userdata == 10 && out[i].type == __WASI_EVENTTYPE_FD_READ && out[i].error == 0;
    wr += out[i].userdata == 11 && out[i].type == __WASI_EVENTTYPE_FD_WRITE && out[i].error == 0;
    clk += out[i].userdata == 12;
  }
  check("a regular file is readable", rd == 1, "expected one FD_READ event");
  check("a regular file is writable", wr == 1, "expected one FD_WRITE event");
  check_int("the long clock does not fire", clk, 0);

  __wasi_subscription_t out1[1] = {fd_sub(20, __WASI_EVENTTYPE_FD_WRITE, 1)};
  check_wasi("poll_oneoff on stdout", __wasi_poll_oneoff(out1, out, 1, &n), 0);
  check("stdout is writable", n == 1 && out[0].userdata == 20 && out[0].error == 0, "expected one FD_WRITE event");

  __wasi_subscription_t bad[2] = {
      fd_sub(30, __WASI_EVENTTYPE_FD_READ, 1234),
      clock_sub(31, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0),
  };
  n = 0;
  __wasi_errno_t e = __wasi_poll_oneoff(bad, out, 2, &n);
  check_wasi("poll_oneoff with a bad fd succeeds", e, 0);
  check("the bad fd is reported in its event", n >= 1 && out[0].userdata == 30 && out[0].error == __WASI_ERRNO_BADF,
        "expected an event with EBADF");

  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  check_int("poll(2) on a regular file", poll(&p, 1, 1000), 1);
  check("poll(2) reports POLLIN|POLLOUT", (p.revents & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT), "expected POLLIN|POLLOUT got 0x%x", p.revents);
  close(fd);

  t0 = mono_ns();
  check_int("poll(2) with no fds and a timeout", poll(NULL, 0, 25), 0);
  check("poll(2) with no fds sleeps", mono_ns() - t0 >= 25 * MS, "expected >= 25 ms");
}

static void poll_stdin(void) {
  const char *want = getenv("STDIN_EXPECT");
  if (!want) return;
  struct pollfd p = {0, POLLIN, 0};
  check_int("poll(2) on stdin", poll(&p, 1, 5000), 1);
  check("stdin is readable", (p.revents & POLLIN) != 0, "expected POLLIN got 0x%x", p.revents);
  static char buf[4096];
  size_t got = 0;
  for (;;) {
    ssize_t r = read(0, buf + got, sizeof buf - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  buf[got] = 0;
  check_str("stdin delivers its content", buf, want);
  p.revents = 0;
  int rc = poll(&p, 1, 5000);
  check("stdin at EOF polls ready", rc == 1 && (p.revents & (POLLIN | POLLHUP)), "expected POLLIN or POLLHUP got rc %d revents 0x%x", rc, p.revents);
  check_int("read at EOF of stdin returns 0", read(0, buf, 1), 0);
}

int main(void) {
  sleeps();
  poll_clocks();
  poll_fds();
  poll_stdin();
  return tap_done();
}
