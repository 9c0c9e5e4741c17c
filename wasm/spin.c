/*
 * spin: a busy loop with no system calls, COUNT million iterations
 * (default 0: forever), then `spun COUNT`. Only a kill (the host stops its
 * worker) ends the endless one.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 0;
  puts("spinning");
  fflush(stdout);
  volatile unsigned long x = 0;
  for (long i = 0; count == 0 || i < count * 1000000L; i++) x += (unsigned long)i;
  printf("spun %ld\n", count);
  return (int)(x & 0);
}
