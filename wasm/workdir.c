/*
 * workdir: relative paths under `wasmvisor run -w DIR`. The harness sets
 * EXPECT_WORKDIR to DIR. PWD names it; a relative create lands in it (seen
 * through its absolute path); relative directories and `./` work; an
 * absolute path under ABS_DIR (a top-level directory present at start, such
 * as /tmp) still resolves from the root.
 */
#include "tap.h"

int main(void) {
  const char *want = getenv("EXPECT_WORKDIR");
  if (!want) {
    tap_printf("not ok - EXPECT_WORKDIR is not set\n");
    return 2;
  }
  check_str("PWD is the working directory", getenv("PWD"), want);
  check_int("create a file by a relative name", tap_write_file("rel-probe", "relative"), 0);
  check_str("it is in the working directory", tap_read_file(P(want, "rel-probe")), "relative");
  check_int("mkdir by a relative name", mkdir("rel-dir", 0755), 0);
  check_int("create a file in it by a relative path", tap_write_file("./rel-dir/inner", "inner"), 0);
  check_str("the nested file is in the working directory", tap_read_file(P(want, "rel-dir/inner")), "inner");
  struct stat st;
  check_int("stat by a relative name", stat("rel-probe", &st), 0);
  check_int("and its size", st.st_size, 8);
  const char *abs = getenv("ABS_DIR");
  if (abs && *abs) {
    check_int("mkdir by an absolute path outside the working directory", mkdir(P(abs, "wv-workdir-abs"), 0755), 0);
    check_int("it is where the absolute path says", stat(P(abs, "wv-workdir-abs"), &st), 0);
    char under[512];
    snprintf(under, sizeof under, "%s%s/wv-workdir-abs", want, abs);
    check_err("and not under the working directory", stat(under, &st), ENOENT);
  }
  check_int("unlink by a relative name", unlink("rel-probe"), 0);
  check_err("the file is gone", stat(P(want, "rel-probe"), &st), ENOENT);
  return tap_done();
}
