/*
 * pause: a Kubernetes pod's sandbox program, as /pause is for runc. It holds
 * the pod and does nothing: it blocks in poll_oneoff (an hour's sleep, again
 * and again) until the runtime kills it. `pause version` prints its name
 * and exits 0 (its test case: a program that never ends cannot have one).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "version") == 0) {
    puts("pause (wasmvisor) 1.0");
    return 0;
  }
  for (;;) sleep(3600);
}
