/*
 * cptar: the guest side of `wasmvisor cp` and `export`. It runs inside the
 * container (an exec), so paths resolve through the container's own VFS
 * with its mounts and its permissions.
 *
 *   cptar c PATH   write a ustar stream of PATH (a file, a symlink, or a
 *                  directory and everything under it) to stdout; entry names
 *                  start with PATH's last component ("." for /, whose
 *                  /proc, /sys and /dev are left out)
 *   cptar x DIR    read a ustar stream from stdin and create its entries
 *                  under DIR (files, directories, symlinks; a name with ".."
 *                  or a leading "/" is refused)
 *
 * Long names use a PAX "path" record (written and read); GNU 'L' long
 * names are read too. Exit 0; 2 if PATH or DIR does not exist; 3 if DIR is
 * not a directory; 1 for any other failure, with one line on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char block[512];

static int fail(const char *what, const char *path) {
  fprintf(stderr, "cptar: %s %s: %s\n", what, path, strerror(errno));
  return errno == ENOENT ? 2 : 1;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static void octal(char *f, int len, unsigned long long v) {
  snprintf(f, (size_t)len, "%0*llo", len - 1, v);
}

static int header(const char *name, char type, unsigned mode, unsigned long long size, long long mtime, const char *link) {
  if (strlen(name) > 99) {
    /* a PAX extended header carrying the long path */
    char rec[4200];
    int body = (int)strlen(name) + 7; /* " path=" + name + "\n" */
    int len = body + 1;
    while ((int)snprintf(NULL, 0, "%d", len) + body != len) len++;
    int n = snprintf(rec, sizeof rec, "%d path=%s\n", len, name);
    if (header("././@PaxHeader", 'x', 0644, (unsigned long long)n, 0, "") != 0) return -1;
    memset(block, 0, 512);
    for (int off = 0; off < n; off += 512) {
      memset(block, 0, 512);
      memcpy(block, rec + off, (size_t)(n - off < 512 ? n - off : 512));
      if (write_all(1, block, 512) != 0) return -1;
    }
  }
  memset(block, 0, 512);
  strncpy(block, name, 100);
  if ((mode & 07777) == 0) mode = type == '5' ? 0755 : 0644; /* WASI's stat has no permission bits */
  octal(block + 100, 8, mode & 07777);
  octal(block + 108, 8, 0);
  octal(block + 116, 8, 0);
  octal(block + 124, 12, size);
  octal(block + 136, 12, (unsigned long long)(mtime < 0 ? 0 : mtime));
  memset(block + 148, ' ', 8);
  block[156] = type;
  strncpy(block + 157, link, 100);
  memcpy(block + 257, "ustar\0" "00", 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++) sum += (unsigned char)block[i];
  snprintf(block + 148, 8, "%06o", sum);
  block[155] = ' ';
  return write_all(1, block, 512);
}

static int add(const char *path, const char *name, int top);

static int add_dir(const char *path, const char *name, int top) {
  DIR *d = opendir(path);
  if (!d) return fail("cannot read", path);
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (top && (!strcmp(e->d_name, "proc") || !strcmp(e->d_name, "sys") || !strcmp(e->d_name, "dev"))) continue;
    size_t pl = strlen(path) + strlen(e->d_name) + 2, nl = strlen(name) + strlen(e->d_name) + 2;
    char *p = malloc(pl), *n = malloc(nl);
    snprintf(p, pl, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
    snprintf(n, nl, "%s/%s", name, e->d_name);
    rc = add(p, n, 0);
    free(p);
    free(n);
    if (rc) break;
  }
  closedir(d);
  return rc;
}

static int add(const char *path, const char *name, int top) {
  struct stat st;
  if (lstat(path, &st) != 0) return fail("cannot stat", path);
  if (S_ISDIR(st.st_mode)) {
    char dname[4200];
    snprintf(dname, sizeof dname, "%s/", name);
    if (header(dname, '5', st.st_mode, 0, st.st_mtime, "") != 0) return fail("cannot write", "stdout");
    return add_dir(path, name, top);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) return fail("cannot read link", path);
    target[n] = 0;
    return header(name, '2', 0777, 0, st.st_mtime, target) != 0 ? fail("cannot write", "stdout") : 0;
  }
  if (!S_ISREG(st.st_mode)) return 0; /* devices, fifos, sockets: not copied */
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("cannot open", path);
  if (header(name, '0', st.st_mode, (unsigned long long)st.st_size, st.st_mtime, "") != 0) return fail("cannot write", "stdout");
  static char buf[65536];
  unsigned long long left = (unsigned long long)st.st_size;
  while (left > 0) {
    ssize_t n = read(fd, buf, left < sizeof buf ? (size_t)left : sizeof buf);
    if (n <= 0) { /* shrank meanwhile: pad with zeros to the size announced */
      memset(buf, 0, sizeof buf);
      n = (ssize_t)(left < sizeof buf ? left : sizeof buf);
    }
    if (write_all(1, buf, (size_t)n) != 0) return fail("cannot write", "stdout");
    left -= (unsigned long long)n;
  }
  close(fd);
  size_t pad = (size_t)((512 - st.st_size % 512) % 512);
  memset(block, 0, 512);
  if (pad && write_all(1, block, pad) != 0) return fail("cannot write", "stdout");
  return 0;
}

static int read_full(char *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, p + got, n - got);
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static unsigned long long parse_octal(const char *f, int len) {
  unsigned long long v = 0;
  for (int i = 0; i < len && f[i]; i++) {
    if (f[i] == ' ') continue;
    if (f[i] < '0' || f[i] > '7') break;
    v = v * 8 + (unsigned long long)(f[i] - '0');
  }
  return v;
}

static int safe_name(const char *n) {
  if (n[0] == '/') return 0;
  const char *p = n;
  while (*p) {
    const char *s = strchr(p, '/');
    size_t l = s ? (size_t)(s - p) : strlen(p);
    if (l == 2 && p[0] == '.' && p[1] == '.') return 0;
    if (!s) break;
    p = s + 1;
  }
  return 1;
}

static int extract(const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0) return fail("no such directory", dir);
  if (!S_ISDIR(st.st_mode)) { fprintf(stderr, "cptar: %s: not a directory\n", dir); return 3; }
  char longname[4200] = "";
  static char buf[65536];
  for (;;) {
    int r = read_full(block, 512);
    if (r == 0) return 0;
    if (r < 0) { fprintf(stderr, "cptar: truncated tar stream\n"); return 1; }
    int zero = 1;
    for (int i = 0; i < 512; i++) if (block[i]) { zero = 0; break; }
    if (zero) return 0;
    char type = block[156];
    unsigned long long size = parse_octal(block + 124, 12);
    unsigned mode = (unsigned)parse_octal(block + 100, 8);
    char name[4200], link[101];
    memcpy(link, block + 157, 100);
    link[100] = 0;
    if (longname[0]) {
      snprintf(name, sizeof name, "%s", longname);
      longname[0] = 0;
    } else {
      char prefix[156] = "", base[101];
      memcpy(base, block, 100);
      base[100] = 0;
      if (!memcmp(block + 257, "ustar", 5)) { memcpy(prefix, block + 345, 155); prefix[155] = 0; }
      snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "/" : "", base);
    }
    if (type == 'x' || type == 'L' || type == 'g') {
      if (size >= sizeof buf) { fprintf(stderr, "cptar: extended header too long\n"); return 1; }
      size_t padded = (size_t)((size + 511) / 512 * 512);
      if (read_full(buf, padded) != 1) { fprintf(stderr, "cptar: truncated tar stream\n"); return 1; }
      buf[size] = 0;
      if (type == 'L') snprintf(longname, sizeof longname, "%s", buf);
      else if (type == 'x') {
        char *p = strstr(buf, " path=");
        if (p) {
          p += 6;
          char *e = strchr(p, '\n');
          if (e) *e = 0;
          snprintf(longname, sizeof longname, "%s", p);
        }
      }
      continue;
    }
    size_t nl = strlen(name);
    while (nl > 0 && name[nl - 1] == '/') name[--nl] = 0;
    while (!strncmp(name, "./", 2)) memmove(name, name + 2, strlen(name + 2) + 1);
    if (!safe_name(name)) { fprintf(stderr, "cptar: refusing entry %s (absolute or with ..)\n", name); return 1; }
    char path[8400];
    if (name[0] == 0 || !strcmp(name, ".")) snprintf(path, sizeof path, "%s", dir);
    else snprintf(path, sizeof path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    if (type == '5') {
      if (mkdir(path, mode ? mode : 0755) != 0 && errno != EEXIST) return fail("cannot create directory", path);
    } else if (type == '2') {
      unlink(path);
      if (symlink(link, path) != 0) return fail("cannot create symlink", path);
    } else if (type == '0' || type == '\0' || type == '7') {
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode ? mode : 0644);
      if (fd < 0) return fail("cannot create", path);
      unsigned long long left = size;
      while (left > 0) {
        size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
        if (read_full(buf, want) != 1) { fprintf(stderr, "cptar: truncated tar stream\n"); return 1; }
        if (write_all(fd, buf, want) != 0) { close(fd); return fail("cannot write", path); }
        left -= want;
      }
      close(fd);
      size_t pad = (size_t)((512 - size % 512) % 512);
      if (pad && read_full(buf, pad) != 1) { fprintf(stderr, "cptar: truncated tar stream\n"); return 1; }
      continue;
    }
    /* other types (hard links, devices): skip their data */
    for (unsigned long long left = (size + 511) / 512 * 512; left > 0;) {
      size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
      if (read_full(buf, want) != 1) { fprintf(stderr, "cptar: truncated tar stream\n"); return 1; }
      left -= want;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "c") && strcmp(argv[1], "x"))) {
    fprintf(stderr, "usage: cptar c PATH | cptar x DIR\n");
    return 1;
  }
  if (!strcmp(argv[1], "x")) return extract(argv[2]);
  const char *path = argv[2];
  int rc;
  if (!strcmp(path, "/")) rc = add_dir("/", ".", 1);
  else {
    const char *slash = strrchr(path, '/');
    char base[4096];
    snprintf(base, sizeof base, "%s", slash && slash[1] ? slash + 1 : (slash ? "." : path));
    rc = add(path, base, 0);
  }
  if (rc) return rc;
  memset(block, 0, 512);
  if (write_all(1, block, 512) != 0 || write_all(1, block, 512) != 0) return fail("cannot write", "stdout");
  return 0;
}
