/*
 * readdir: directory listing. `.` and `..` are listed; every entry exactly
 * once; d_type and d_ino; an empty directory; hundreds of entries with long
 * names (several fd_readdir buffers); unlinking entries while reading;
 * adding entries while reading; telldir/seekdir cookies, including after
 * the directory changed; rewinddir; opendir errors.
 */
#include <wasi/api.h>

#include "tap.h"

#define MAXN 512

/* Names read from `path`, and how often each was seen. */
struct listing {
  int n;
  char names[MAXN][64];
  unsigned char types[MAXN];
  ino_t inos[MAXN];
};

static int list_dir(const char *path, struct listing *l) {
  l->n = 0;
  DIR *dir = opendir(path);
  if (!dir) return -1;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL && l->n < MAXN) {
    snprintf(l->names[l->n], sizeof l->names[0], "%s", e->d_name);
    l->types[l->n] = e->d_type;
    l->inos[l->n] = e->d_ino;
    l->n++;
  }
  closedir(dir);
  return l->n;
}

static int count_of(const struct listing *l, const char *name) {
  int c = 0;
  for (int i = 0; i < l->n; i++) c += strcmp(l->names[i], name) == 0;
  return c;
}

static int index_of(const struct listing *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->names[i], name) == 0) return i;
  return -1;
}

static struct listing L;

static void basics(const char *d) {
  char b[256];
  snprintf(b, sizeof b, "%s/basic", d);
  mkdir(b, 0755);
  tap_write_file(P(b, "file"), "x");
  mkdir(P(b, "dir"), 0755);
  symlink("file", P(b, "link"));
  list_dir(b, &L);
  check("the listing has . and ..", count_of(&L, ".") == 1 && count_of(&L, "..") == 1, "expected . and .. once each");
  check("every entry is listed exactly once",
        count_of(&L, "file") == 1 && count_of(&L, "dir") == 1 && count_of(&L, "link") == 1,
        "expected file, dir and link once each");
  int others = L.n - count_of(&L, ".") - count_of(&L, "..");
  check_int("no other entries", others, 3);
  int f = index_of(&L, "file"), dd = index_of(&L, "dir"), ln = index_of(&L, "link");
  check("d_type of a file is DT_REG", f >= 0 && L.types[f] == DT_REG, "expected DT_REG");
  check("d_type of a directory is DT_DIR", dd >= 0 && L.types[dd] == DT_DIR, "expected DT_DIR");
  check("d_type of a symlink is DT_LNK", ln >= 0 && L.types[ln] == DT_LNK, "expected DT_LNK");
  struct stat st;
  lstat(P(b, "file"), &st);
  check("d_ino matches st_ino", f >= 0 && L.inos[f] == st.st_ino, "expected d_ino == st_ino");
  int dot = index_of(&L, ".");
  check("d_type of . is DT_DIR", dot >= 0 && L.types[dot] == DT_DIR, "expected DT_DIR");

  mkdir(P(d, "empty"), 0755);
  list_dir(P(d, "empty"), &L);
  check("an empty directory lists only . and ..",
        L.n == count_of(&L, ".") + count_of(&L, "..") && count_of(&L, "plain") == 0, "expected nothing but . and ..");
  check("an empty directory lists . and ..", count_of(&L, ".") == 1 && count_of(&L, "..") == 1, "expected . and ..");
}

static void many(const char *d) {
  char m[256];
  snprintf(m, sizeof m, "%s/many", d);
  mkdir(m, 0755);
  char name[64];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "entry-with-a-rather-long-name-%04d", i);
    tap_write_file(P(m, name), "");
  }
  list_dir(m, &L);
  int missing = 0, dup = 0;
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "entry-with-a-rather-long-name-%04d", i);
    int c = count_of(&L, name);
    missing += c == 0;
    dup += c > 1;
  }
  check_int("300 entries: none missing", missing, 0);
  check_int("300 entries: none twice", dup, 0);
}

static void unlink_while_reading(const char *d) {
  char u[256];
  snprintf(u, sizeof u, "%s/unlink", d);
  mkdir(u, 0755);
  char name[64];
  for (int i = 0; i < 100; i++) {
    snprintf(name, sizeof name, "f%03d", i);
    tap_write_file(P(u, name), "");
  }
  DIR *dir = opendir(u);
  struct dirent *e;
  int seen[100] = {0}, bad = 0;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int i = atoi(e->d_name + 1);
    if (i < 0 || i >= 100) { bad++; continue; }
    seen[i]++;
    if (unlink(P(u, e->d_name)) != 0) bad++;
  }
  closedir(dir);
  int missing = 0, dup = 0;
  for (int i = 0; i < 100; i++) {
    missing += seen[i] == 0;
    dup += seen[i] > 1;
  }
  check_int("unlinking each entry as it is read: none missed", missing, 0);
  check_int("unlinking each entry as it is read: none seen twice", dup, 0);
  check_int("unlinking each entry as it is read: every unlink succeeded", bad, 0);
  list_dir(u, &L);
  check_int("the directory is empty afterwards", L.n - count_of(&L, ".") - count_of(&L, ".."), 0);
  check_int("and can be removed", rmdir(u), 0);
}

static void add_while_reading(const char *d) {
  char a[256];
  snprintf(a, sizeof a, "%s/add", d);
  mkdir(a, 0755);
  char name[64];
  for (int i = 0; i < 50; i++) {
    snprintf(name, sizeof name, "old%02d", i);
    tap_write_file(P(a, name), "");
  }
  DIR *dir = opendir(a);
  struct dirent *e;
  int seen[50] = {0}, added = 0, extra_dups = 0;
  static char extras[200][64];
  int nextras = 0;
  while ((e = readdir(dir)) != NULL) {
    if (strncmp(e->d_name, "old", 3) == 0) {
      seen[atoi(e->d_name + 3)]++;
      if (added < 50) {
        snprintf(name, sizeof name, "new%02d", added++);
        tap_write_file(P(a, name), "");
      }
    } else if (strncmp(e->d_name, "new", 3) == 0) {
      for (int i = 0; i < nextras; i++) extra_dups += strcmp(extras[i], e->d_name) == 0;
      if (nextras < 200) snprintf(extras[nextras++], sizeof extras[0], "%s", e->d_name);
    }
  }
  closedir(dir);
  int missing = 0, dup = 0;
  for (int i = 0; i < 50; i++) {
    missing += seen[i] == 0;
    dup += seen[i] > 1;
  }
  check_int("adding entries while reading: old entries none missed", missing, 0);
  check_int("adding entries while reading: old entries none twice", dup, 0);
  check_int("adding entries while reading: new entries at most once", extra_dups, 0);
}

static void cookies(const char *d) {
  char c[256];
  snprintf(c, sizeof c, "%s/cookies", d);
  mkdir(c, 0755);
  char name[64];
  for (int i = 0; i < 20; i++) {
    snprintf(name, sizeof name, "c%02d", i);
    tap_write_file(P(c, name), "");
  }
  /* The whole listing first, so that the counts below do not depend on . and .. */
  list_dir(c, &L);
  int n = L.n;
  DIR *dir = opendir(c);
  char first[5][64];
  for (int i = 0; i < 5; i++) {
    struct dirent *e = readdir(dir);
    snprintf(first[i], sizeof first[i], "%s", e ? e->d_name : "(end)");
  }
  long pos = telldir(dir);
  check("telldir returns a cookie", pos >= 0, "expected a position got %ld", pos);
  struct dirent *e = readdir(dir);
  char after[64];
  snprintf(after, sizeof after, "%s", e ? e->d_name : "(end)");
  int rest = 0;
  while (readdir(dir)) rest++;
  check_int("reading on to the end gives the rest of the listing", rest, n - 6);
  seekdir(dir, pos);
  e = readdir(dir);
  check_str("seekdir returns to the entry after telldir", e ? e->d_name : "(end)", after);

  /* The cookie must stay valid after an entry read before it goes away. */
  const char *victim = NULL;
  for (int i = 0; i < 5; i++)
    if (first[i][0] != '.') victim = first[i];
  check("a plain name was read before the cookie", victim != NULL, "expected one of the first 5 to be a file");
  if (victim) unlink(P(c, victim));
  tap_write_file(P(c, "zz-new"), "");
  seekdir(dir, pos);
  e = readdir(dir);
  check_str("seekdir after the directory changed", e ? e->d_name : "(end)", after);

  rewinddir(dir);
  int total = 0;
  while (readdir(dir)) total++;
  check_int("rewinddir lists everything again (one removed, one added)", total, n);
  closedir(dir);
}

static void errors(const char *d) {
  tap_write_file(P(d, "plain"), "");
  errno = 0;
  DIR *dir = opendir(P(d, "plain"));
  check_err("opendir of a file is ENOTDIR", dir ? 0 : -1, ENOTDIR);
  if (dir) closedir(dir);
  dir = opendir(P(d, "ghost"));
  check_err("opendir of a missing name is ENOENT", dir ? 0 : -1, ENOENT);
  if (dir) closedir(dir);
  int fd = open(d, O_RDONLY | O_DIRECTORY);
  dir = fdopendir(fd);
  check("fdopendir of a directory fd", dir != NULL, "expected a DIR");
  int n = 0;
  if (dir) {
    while (readdir(dir)) n++;
    closedir(dir);
  }
  check("fdopendir lists the directory", n >= 5, "expected at least 5 entries got %d", n);
}

/* Names of the dirents in `buf[0..used)`, whole ones only; returns the count and the last d_next. */
static int parse_dirents(const uint8_t *buf, size_t used, char names[][64], int max, __wasi_dircookie_t *last_next) {
  int n = 0;
  size_t off = 0;
  while (off + sizeof(__wasi_dirent_t) <= used && n < max) {
    __wasi_dirent_t de;
    memcpy(&de, buf + off, sizeof de);
    if (off + sizeof de + de.d_namlen > used) break;
    size_t len = de.d_namlen < 63 ? de.d_namlen : 63;
    memcpy(names[n], buf + off + sizeof de, len);
    names[n][len] = 0;
    n++;
    *last_next = de.d_next;
    off += sizeof de + de.d_namlen;
  }
  return n;
}

static void raw(const char *d) {
  char r[256];
  snprintf(r, sizeof r, "%s/raw", d);
  mkdir(r, 0755);
  tap_write_file(P(r, "one"), "");
  tap_write_file(P(r, "two"), "");
  tap_write_file(P(r, "three"), "");
  int fd = open(r, O_RDONLY | O_DIRECTORY);
  static uint8_t buf[4096];
  static char all[16][64], rest[16][64];
  __wasi_size_t used = 0;
  check_wasi("fd_readdir from cookie 0", __wasi_fd_readdir((__wasi_fd_t)fd, buf, sizeof buf, 0, &used), 0);
  __wasi_dircookie_t next = 0;
  int n = parse_dirents(buf, used, all, 16, &next);
  size_t total = 0;
  for (int i = 0; i < n; i++) total += sizeof(__wasi_dirent_t) + strlen(all[i]);
  check_int("fd_readdir fills the buffer with whole entries", used, (long long)total);
  int plain = 0;
  for (int i = 0; i < n; i++) plain += all[i][0] != '.';
  check_int("fd_readdir returns the three files", plain, 3);

  /* restart from the first entry's d_next: the listing continues with the second entry */
  __wasi_dirent_t first;
  memcpy(&first, buf, sizeof first);
  check_wasi("fd_readdir from the first entry's d_next", __wasi_fd_readdir((__wasi_fd_t)fd, buf, sizeof buf, first.d_next, &used), 0);
  int m = parse_dirents(buf, used, rest, 16, &next);
  check_int("it returns the rest of the listing", m, n - 1);
  check_str("starting with the second entry", m > 0 ? rest[0] : "(none)", n > 1 ? all[1] : "(none)");

  check_wasi("fd_readdir into a buffer smaller than one entry", __wasi_fd_readdir((__wasi_fd_t)fd, buf, 10, 0, &used), 0);
  check_int("a full buffer reports bufused == buf_len", used, 10);

  check_wasi("fd_readdir from the last entry's d_next", __wasi_fd_readdir((__wasi_fd_t)fd, buf, sizeof buf, next, &used), 0);
  check_int("reading past the end returns nothing", used, 0);
  int file = open(P(r, "one"), O_RDONLY);
  check_wasi("fd_readdir on a file is ENOTDIR", __wasi_fd_readdir((__wasi_fd_t)file, buf, sizeof buf, 0, &used), __WASI_ERRNO_NOTDIR);
  close(file);
  close(fd);
}

int main(void) {
  const char *d = tap_scratch("readdir");
  basics(d);
  many(d);
  unlink_while_reading(d);
  add_while_reading(d);
  cookies(d);
  errors(d);
  raw(d);
  return tap_done();
}
