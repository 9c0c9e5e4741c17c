/*
 * fsedit: a small file tool for builds without a shell (`wasmvisor build`'s
 * RUN steps, volume tests). Each argument is one operation, in order:
 *   write:PATH:TEXT    create or truncate PATH with TEXT (\n in TEXT is a newline)
 *   append:PATH:TEXT   append TEXT to PATH
 *   mkdir:PATH         make a directory (parents too)
 *   rm:PATH            remove a file or an empty directory
 *   cat:PATH           copy PATH to stdout
 * The first failing operation prints "fsedit: OP: ERROR" on stderr and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *op) {
  fprintf(stderr, "fsedit: %s: %s\n", op, strerror(errno));
  return 1;
}

/* Write TEXT with "\n" turned into newlines. */
static int put(int fd, const char *text) {
  char buf[4096];
  size_t n = 0;
  for (const char *p = text; *p; p++) {
    if (p[0] == '\\' && p[1] == 'n') buf[n++] = '\n', p++;
    else buf[n++] = *p;
    if (n == sizeof buf) {
      if (write(fd, buf, n) != (ssize_t)n) return -1;
      n = 0;
    }
  }
  return n == 0 || write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

static int mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    int r = mkdir(path, 0755);
    *p = '/';
    if (r != 0 && errno != EEXIST) return -1;
  }
  return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *op = strdup(argv[i]);
    if (!op) return fail(argv[i]);
    char *colon = strchr(op, ':');
    if (!colon) {
      fprintf(stderr, "fsedit: %s: expected OP:PATH[:TEXT]\n", argv[i]);
      return 2;
    }
    *colon = 0;
    char *path = colon + 1;
    char *text = "";
    if (!strcmp(op, "write") || !strcmp(op, "append")) {
      char *c2 = strchr(path, ':');
      if (c2) *c2 = 0, text = c2 + 1;
      int fd = open(path, O_WRONLY | O_CREAT | (op[0] == 'w' ? O_TRUNC : O_APPEND), 0644);
      if (fd < 0 || put(fd, text) != 0) return fail(argv[i]);
      close(fd);
    } else if (!strcmp(op, "mkdir")) {
      if (mkdirs(path) != 0) return fail(argv[i]);
    } else if (!strcmp(op, "rm")) {
      if (unlink(path) != 0 && (errno != EISDIR && errno != EPERM ? 1 : rmdir(path) != 0)) return fail(argv[i]);
    } else if (!strcmp(op, "cat")) {
      int fd = open(path, O_RDONLY);
      if (fd < 0) return fail(argv[i]);
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
      close(fd);
    } else {
      fprintf(stderr, "fsedit: unknown operation %s (write, append, mkdir, rm, cat)\n", op);
      return 2;
    }
  }
  return 0;
}
