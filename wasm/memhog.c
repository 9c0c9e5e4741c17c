/*
 * memhog: allocates and touches memory 1 MiB at a time, MIB times (default
 * 0: until it cannot), printing the total each step. Under a memory limit
 * its linear memory cannot grow past memory.max: malloc fails and it ends
 * with `out of memory at N MiB` and status 1, unless the kernel's OOM
 * killer ended it first. `memhog MIB file` writes the MiBs to /tmp/hog
 * instead: files in the container's upper are charged to its memory cgroup
 * too, and past memory.max the OOM killer ends it (status 137, OOMKilled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

char *volatile keep[64];

int main(int argc, char **argv) {
  long want = argc > 1 ? atol(argv[1]) : 0;
  if (argc > 2 && strcmp(argv[2], "file") == 0) {
    static char chunk[1 << 20];
    int fd = open("/tmp/hog", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      perror("memhog: /tmp/hog");
      return 1;
    }
    for (long mib = 1; want == 0 || mib <= want; mib++) {
      memset(chunk, (int)mib, sizeof chunk);
      if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
        perror("memhog: write");
        return 1;
      }
      printf("wrote %ld MiB\n", mib);
      fflush(stdout);
    }
    return 0;
  }
  for (long mib = 1; want == 0 || mib <= want; mib++) {
    char *p = malloc(1 << 20);
    if (!p) {
      printf("out of memory at %ld MiB\n", mib - 1);
      return 1;
    }
    memset(p, (int)mib, 1 << 20);
    keep[mib % 64] = p; /* kept, so that clang cannot drop the allocation */
    printf("allocated %ld MiB\n", mib);
    fflush(stdout);
  }
  return 0;
}
