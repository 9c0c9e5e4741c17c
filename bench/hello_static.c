/*
 * hello_static: the native peer of wasm/hello.c for bench/sandbox.mjs part [3].
 * Built at bench time with `gcc -static -O2 -s` into the rootfs of a temporary
 * OCI bundle, then run as a container by runc (and crun when installed).
 * Same work as wasm/hello.c: one line through stdio, exit 0.
 */
#include <stdio.h>

int main(int argc, char **argv) {
  puts("hello from a static binary");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
