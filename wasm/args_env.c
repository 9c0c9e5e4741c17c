/*
 * args_env: argv and environ as the harness passes them. The case runs
 * `args_env one "two words" "" "ünï=code"` with FOO=bar, EMPTY= and
 * WITH_EQ=x=y in the environment; extra variables the runtime adds (PATH,
 * HOSTNAME, ...) are allowed. Raw args_sizes_get / environ_sizes_get must
 * agree with what args_get / environ_get deliver.
 */
#include <wasi/api.h>

#include "tap.h"

extern char **environ;

static const char *const WANT_ARGS[] = {"one", "two words", "", "\xc3\xbcn\xc3\xaf=code"};
#define NWANT (int)(sizeof WANT_ARGS / sizeof WANT_ARGS[0])

static int count_env(const char *prefix) {
  int n = 0;
  for (char **e = environ; *e; e++) n += strncmp(*e, prefix, strlen(prefix)) == 0;
  return n;
}

int main(int argc, char **argv) {
  check_int("argc", argc, NWANT + 1);
  check("argv[0] is set", argc > 0 && argv[0] != NULL && argv[0][0] != 0, "expected a program name");
  for (int i = 0; i < NWANT; i++) {
    char name[64];
    snprintf(name, sizeof name, "argv[%d]", i + 1);
    check_str(name, i + 1 < argc ? argv[i + 1] : NULL, WANT_ARGS[i]);
  }
  check("argv[argc] is NULL", argv[argc] == NULL, "expected NULL");

  __wasi_size_t count = 0, size = 0;
  check_wasi("args_sizes_get", __wasi_args_sizes_get(&count, &size), 0);
  check_int("args_sizes_get counts the arguments", count, argc);
  size_t want_size = 0;
  for (int i = 0; i < argc; i++) want_size += strlen(argv[i]) + 1;
  check_int("args_sizes_get sizes the strings with their NULs", size, want_size);
  char **raw = calloc(count + 1, sizeof(char *));
  char *rawbuf = malloc(size);
  check_wasi("args_get", __wasi_args_get((uint8_t **)raw, (uint8_t *)rawbuf), 0);
  int same = 1;
  for (int i = 0; i < argc && i < (int)count; i++) same &= strcmp(raw[i], argv[i]) == 0;
  check("args_get delivers the same strings", same, "expected identical strings");
  check("args_get packs the strings", count == 0 || raw[0] == rawbuf, "expected the first string at the buffer's start");

  check_str("getenv FOO", getenv("FOO"), "bar");
  check_str("getenv EMPTY is empty, not unset", getenv("EMPTY"), "");
  check_str("getenv WITH_EQ keeps everything after the first =", getenv("WITH_EQ"), "x=y");
  check_str("getenv of an unset name is NULL", getenv("WASMVISOR_SURELY_UNSET"), NULL);
  check_int("FOO appears once in environ", count_env("FOO="), 1);
  check_int("EMPTY appears once in environ", count_env("EMPTY="), 1);
  int nenv = 0;
  size_t env_size = 0;
  for (char **e = environ; *e; e++) {
    nenv++;
    env_size += strlen(*e) + 1;
  }
  check_wasi("environ_sizes_get", __wasi_environ_sizes_get(&count, &size), 0);
  check_int("environ_sizes_get counts the variables", count, nenv);
  check_int("environ_sizes_get sizes the strings", size, env_size);

  check_int("setenv", setenv("NEW_VAR", "v", 1), 0);
  check_str("getenv sees setenv", getenv("NEW_VAR"), "v");
  check_int("unsetenv", unsetenv("FOO"), 0);
  check_str("getenv after unsetenv", getenv("FOO"), NULL);
  return tap_done();
}
