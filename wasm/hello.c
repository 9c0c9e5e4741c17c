/*
 * hello: the README demo. Prints a greeting, then each argument on its own line.
 */
#include <stdio.h>

int main(int argc, char **argv) {
  puts("hello from wasmvisor");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
