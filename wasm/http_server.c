/*
 * A small HTTP/1.1 file server over the preopened listener of a published
 * port (wasmvisor run -p 8080:80 http_server.wasm [DIR]). One thread, every
 * connection non-blocking in one poll() loop: keep-alive (HTTP/1.1 default,
 * HTTP/1.0 with "Connection: keep-alive"), GET and HEAD of files under DIR
 * (default /www), index.html for directories, 404/400/405/431 otherwise.
 * Bounded: headers at most 8 KiB, at most MAX_CONNS connections (the
 * listener is left out of the poll set while full or after EMFILE), a
 * connection idle for IDLE_MS (slow headers included) is closed.
 * The listener is LISTEN_FDS_START (else fd 3); a second listener, if any, is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define REQ_MAX 8192
#define OUT_MAX 16384
#define IDLE_MS 10000

struct conn {
  int fd;
  char req[REQ_MAX];
  size_t reqlen;
  char out[OUT_MAX];
  size_t outlen, outoff;
  int file;         /* file being sent after `out`, or -1 */
  int keep;         /* keep the connection after this response */
  long long last;   /* ms of the last progress */
};

static struct conn *conns[MAX_CONNS];
static int nconns;
static const char *root = "/www";
static long long served;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop(int i) {
  struct conn *c = conns[i];
  if (c->file >= 0) close(c->file);
  close(c->fd);
  free(c);
  conns[i] = conns[--nconns];
}

static const char *type_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot == NULL) return "application/octet-stream";
  if (!strcmp(dot, ".html")) return "text/html";
  if (!strcmp(dot, ".txt")) return "text/plain";
  if (!strcmp(dot, ".json")) return "application/json";
  if (!strcmp(dot, ".css")) return "text/css";
  if (!strcmp(dot, ".js")) return "text/javascript";
  return "application/octet-stream";
}

static void status(struct conn *c, int code, const char *why) {
  c->outlen = (size_t)snprintf(c->out, OUT_MAX, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n%s\r\n%s\n",
                               code, why, strlen(why) + 1, c->keep ? "" : "Connection: close\r\n", why);
  c->outoff = 0;
}

/* Has the header block `h` (lower-cased names) a Connection header containing `token`? */
static int conn_token(const char *h, const char *token) {
  const char *p = h;
  while ((p = strstr(p, "\r\n")) != NULL) {
    p += 2;
    if (strncasecmp(p, "connection:", 11) == 0) {
      const char *e = strstr(p, "\r\n");
      size_t n = e ? (size_t)(e - p) : strlen(p);
      char v[128];
      if (n >= sizeof v) n = sizeof v - 1;
      memcpy(v, p, n);
      v[n] = 0;
      for (char *q = v; *q; q++) if (*q >= 'A' && *q <= 'Z') *q += 32;
      return strstr(v, token) != NULL;
    }
  }
  return 0;
}

/* One complete request of `len` bytes in c->req: prepare the response. */
static void handle(struct conn *c, size_t len) {
  char method[8], target[1024], version[16];
  c->req[len - 2] = 0; /* the blank line's CRLF: headers end with one CRLF */
  if (sscanf(c->req, "%7s %1023s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
    c->keep = 0;
    status(c, 400, "Bad Request");
    return;
  }
  int v11 = strcmp(version, "HTTP/1.0") != 0;
  c->keep = v11 ? !conn_token(c->req, "close") : conn_token(c->req, "keep-alive");
  int head = strcmp(method, "HEAD") == 0;
  if (!head && strcmp(method, "GET") != 0) { status(c, 405, "Method Not Allowed"); return; }
  char *q = strchr(target, '?');
  if (q) *q = 0;
  if (target[0] != '/' || strstr(target, "..") != NULL) { status(c, 400, "Bad Request"); return; }
  char path[1200];
  snprintf(path, sizeof path, "%s%s", root, target);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    strncat(path, target[strlen(target) - 1] == '/' ? "index.html" : "/index.html", sizeof path - strlen(path) - 1);
  }
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    status(c, 404, "Not Found");
    return;
  }
  c->outlen = (size_t)snprintf(c->out, OUT_MAX, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nContent-Type: %s\r\n%s\r\n",
                               (long long)st.st_size, type_of(path), c->keep ? "" : "Connection: close\r\n");
  c->outoff = 0;
  if (head || st.st_size == 0) close(fd);
  else c->file = fd;
  served++;
}

/* Move bytes out: `out`, then the file. Returns -1 to drop the connection. */
static int flush(struct conn *c) {
  for (;;) {
    if (c->outoff == c->outlen && c->file >= 0) {
      ssize_t n = read(c->file, c->out, OUT_MAX);
      if (n <= 0) { close(c->file); c->file = -1; c->outlen = c->outoff = 0; continue; }
      c->outlen = (size_t)n;
      c->outoff = 0;
    }
    if (c->outoff == c->outlen) return 0;
    ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, 0);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    c->outoff += (size_t)n;
    c->last = now_ms();
  }
}

/* Handle every complete request buffered (one at a time: the next waits until this response is out). */
static int progress(struct conn *c) {
  while (c->outoff == c->outlen && c->file < 0) {
    if (c->outlen != 0 && !c->keep) return -1; /* response sent; close */
    c->outlen = c->outoff = 0;
    char *end = NULL;
    for (size_t i = 3; i < c->reqlen; i++) {
      if (c->req[i - 3] == '\r' && c->req[i - 2] == '\n' && c->req[i - 1] == '\r' && c->req[i] == '\n') { end = c->req + i + 1; break; }
    }
    if (end == NULL) {
      if (c->reqlen == REQ_MAX) { c->keep = 0; status(c, 431, "Request Header Fields Too Large"); c->reqlen = 0; return flush(c); }
      return 0;
    }
    size_t len = (size_t)(end - c->req);
    char saved = c->req[len - 2];
    handle(c, len);
    c->req[len - 2] = saved;
    memmove(c->req, end, c->reqlen - len);
    c->reqlen -= len;
    if (flush(c) < 0) return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) root = argv[1];
  const char *start = getenv("LISTEN_FDS_START");
  int lfd = start ? atoi(start) : 3;
  if (getenv("LISTEN_FDS") == NULL) {
    fprintf(stderr, "http_server: no LISTEN_FDS: publish a port (wasmvisor run -p HOSTPORT:80)\n");
    return 2;
  }
  if (fcntl(lfd, F_SETFL, O_NONBLOCK) != 0) { perror("http_server: listener"); return 2; }
  fprintf(stderr, "http_server: serving %s on fd %d\n", root, lfd);
  static struct pollfd pfds[MAX_CONNS + 1];
  long long pause_accept_until = 0;
  for (;;) {
    long long now = now_ms();
    int np = 0;
    int listening = nconns < MAX_CONNS && now >= pause_accept_until;
    if (listening) pfds[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
    for (int i = 0; i < nconns; i++) {
      struct conn *c = conns[i];
      short ev = (c->outoff < c->outlen || c->file >= 0) ? POLLOUT : POLLIN;
      pfds[np++] = (struct pollfd){ .fd = c->fd, .events = ev };
    }
    int r = poll(pfds, (nfds_t)np, 1000);
    if (r < 0 && errno != EINTR) { perror("poll"); return 1; }
    now = now_ms();
    int base = listening ? 1 : 0;
    /* connections first (indexes match pfds until one is dropped: walk backwards) */
    for (int i = nconns - 1; i >= 0; i--) {
      struct conn *c = conns[i];
      short re = pfds[base + i].revents;
      int dead = 0;
      if (re & POLLOUT) {
        dead = flush(c) < 0 || progress(c) < 0;
      } else if (re & (POLLIN | POLLHUP | POLLERR)) {
        if (c->reqlen == REQ_MAX) dead = progress(c) < 0;
        else {
          ssize_t n = recv(c->fd, c->req + c->reqlen, REQ_MAX - c->reqlen, 0);
          if (n <= 0) dead = !(n < 0 && errno == EAGAIN);
          else {
            c->reqlen += (size_t)n;
            c->last = now;
            dead = progress(c) < 0;
          }
        }
      } else if (now - c->last > IDLE_MS) {
        dead = 1;
      }
      if (dead) drop(i);
    }
    if (listening && (pfds[0].revents & POLLIN)) {
      for (int k = 0; k < 64 && nconns < MAX_CONNS; k++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
          if (errno == EMFILE || errno == ENFILE) pause_accept_until = now + 100;
          else if (errno != EAGAIN) perror("accept");
          break;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) { close(fd); break; }
        c->fd = fd;
        c->reqlen = c->outlen = c->outoff = 0;
        c->file = -1;
        c->keep = 1;
        c->last = now;
        conns[nconns++] = c;
      }
    }
  }
}
