/*
 * pause_static: the native pod sandbox program of bench/density.mjs (what
 * Kubernetes' /pause is), so that runc pods can share containerd's one
 * sandbox image with wasmvisor pods (wasmvisor holds a pod's sandbox without
 * running its program). Built at bench time with `gcc -static -O2 -s`.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static void done(int sig) { (void)sig; _exit(0); }

int main(void) {
  signal(SIGTERM, done);
  signal(SIGINT, done);
  for (;;) pause();
}
