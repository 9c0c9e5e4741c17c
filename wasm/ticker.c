/*
 * ticker: prints `tick N` every MS milliseconds (default 200), COUNT times
 * (default 0: forever). The playground pauses and resumes it: a paused
 * container stops at its next system call, so the ticks stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 0;
  long ms = argc > 2 ? atol(argv[2]) : 200;
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  for (long i = 1; count == 0 || i <= count; i++) {
    printf("tick %ld\n", i);
    fflush(stdout);
    if (count == 0 || i < count) nanosleep(&ts, NULL);
  }
  return 0;
}
