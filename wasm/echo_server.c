/*
 * An echo server for many clients at once over the preopened listener of a
 * published port (wasmvisor run -p 7000:7 echo_server.wasm): one poll()
 * loop, every connection non-blocking; each byte received is sent back.
 * A connection whose peer stopped reading keeps at most BUF bytes here and
 * is not read further (backpressure reaches the sender). The peer's EOF
 * shuts our write side once everything was echoed (half-close).
 * Prints "echo_server: N clients served" to stderr when a client sends
 * "quit\n" as its first bytes, then exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 2048
#define BUF 65536

struct conn {
  int fd;
  char buf[BUF];
  size_t len;
  int eof;
  size_t seen;
};

static struct conn *conns[MAX_CONNS];
static int nconns;

int main(void) {
  const char *start = getenv("LISTEN_FDS_START");
  int lfd = start ? atoi(start) : 3;
  if (getenv("LISTEN_FDS") == NULL) {
    fprintf(stderr, "echo_server: no LISTEN_FDS: publish a port (wasmvisor run -p HOSTPORT:7)\n");
    return 2;
  }
  fcntl(lfd, F_SETFL, O_NONBLOCK);
  fprintf(stderr, "echo_server: listening on fd %d\n", lfd);
  static struct pollfd pfds[MAX_CONNS + 1];
  long served = 0;
  int paused = 0;
  int emfile_seen = 0; /* the first EMFILE is reported once on stderr */
  for (;;) {
    int np = 0;
    int listening = nconns < MAX_CONNS && paused == 0;
    if (listening) pfds[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
    for (int i = 0; i < nconns; i++) {
      struct conn *c = conns[i];
      short ev = 0;
      if (c->len > 0) ev |= POLLOUT;
      if (c->len < BUF && !c->eof) ev |= POLLIN;
      pfds[np++] = (struct pollfd){ .fd = c->fd, .events = ev };
    }
    if (poll(pfds, (nfds_t)np, 100) < 0 && errno != EINTR) { perror("poll"); return 1; }
    if (paused > 0) paused--;
    int base = listening ? 1 : 0;
    for (int i = nconns - 1; i >= 0; i--) {
      struct conn *c = conns[i];
      short re = pfds[base + i].revents;
      int dead = 0;
      if ((re & (POLLIN | POLLHUP | POLLERR)) && c->len < BUF && !c->eof) {
        ssize_t n = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
        if (n == 0) { c->eof = 1; }
        else if (n < 0) { dead = errno != EAGAIN; }
        else {
          if (c->seen == 0 && n >= 5 && memcmp(c->buf, "quit\n", 5) == 0) {
            fprintf(stderr, "echo_server: %ld clients served\n", served);
            return 0;
          }
          c->len += (size_t)n;
          c->seen += (size_t)n;
        }
      }
      if (!dead && c->len > 0 && (re & POLLOUT || c->eof)) {
        ssize_t n = send(c->fd, c->buf, c->len, 0);
        if (n < 0) dead = errno != EAGAIN;
        else { memmove(c->buf, c->buf + n, c->len - (size_t)n); c->len -= (size_t)n; }
      }
      if (!dead && c->eof && c->len == 0) { shutdown(c->fd, SHUT_WR); dead = 1; served++; }
      if (dead) { close(c->fd); free(c); conns[i] = conns[--nconns]; }
    }
    if (listening && (pfds[0].revents & POLLIN)) {
      while (nconns < MAX_CONNS) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
          if (errno == EMFILE) {
            if (!emfile_seen) fprintf(stderr, "echo_server: accept: EMFILE (at %d connections)\n", nconns);
            emfile_seen = 1;
            paused = 5;
          }
          break;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) { close(fd); break; }
        c->fd = fd;
        conns[nconns++] = c;
      }
    }
  }
}
