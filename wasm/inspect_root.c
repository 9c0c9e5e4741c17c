/*
 * inspect_root: what a container looks like from inside, printed as text
 * so that two platforms can be compared line by line (test/runtime/
 * cross_platform.test.ts). Each argument is one request:
 *   ls:DIR     the names in DIR, sorted, on one line
 *   stat:PATH  type, size and link count of PATH (lstat; WASI has no mode or owner)
 *   cat:PATH   the contents of PATH
 * A request that fails prints "REQ: error ERRNO-NAME".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void fail(const char *req) { printf("%s: error %s\n", req, strerror(errno)); }

static void ls(const char *req, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return fail(req);
  char *names[512];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 512) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("%s:", req);
  for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");
}

static void st(const char *req, const char *path) {
  struct stat s;
  if (lstat(path, &s) != 0) return fail(req);
  const char *t = S_ISDIR(s.st_mode) ? "dir" : S_ISREG(s.st_mode) ? "file" : S_ISLNK(s.st_mode) ? "link" : S_ISCHR(s.st_mode) ? "chr" : "other";
  printf("%s: %s size=%lld nlink=%llu\n", req, t, S_ISDIR(s.st_mode) ? 0LL : (long long)s.st_size, (unsigned long long)s.st_nlink);
}

static void cat(const char *req, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return fail(req);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  printf("%s: %s%s", req, buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strncmp(a, "ls:", 3)) ls(a, a + 3);
    else if (!strncmp(a, "stat:", 5)) st(a, a + 5);
    else if (!strncmp(a, "cat:", 4)) cat(a, a + 4);
    else printf("%s: unknown request\n", a);
  }
  return 0;
}
