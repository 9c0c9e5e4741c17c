/*
 * bench_sort: a sort benchmark for bench/metering.mjs. Each round fills
 * 100,000 pseudo-random 32-bit keys and 20,000 short strings, sorts them
 * with libc's qsort (a comparison callback per compare: an indirect call,
 * the metered worst case for call-heavy code) and with an inlined
 * insertion-sorting quicksort, and checks both are ordered. No system calls
 * until the end, then one line: `sort ROUNDS sum HEX` (deterministic).
 *
 *   bench_sort [ROUNDS]   (default 1)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 100000
#define STRS 20000
#define STRLEN 12

static uint32_t keys[KEYS], copy[KEYS];
static char strs[STRS][STRLEN];
static char *ptrs[STRS];

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* quicksort with a median-of-three pivot, insertion sort below 16 */
static void quick(uint32_t *a, long n) {
  while (n > 16) {
    uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint32_t pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    quick(a, j + 1);
    a += j + 1;
    n -= j + 1;
  }
  for (long i = 1; i < n; i++) {
    uint32_t v = a[i];
    long k = i;
    while (k > 0 && a[k - 1] > v) { a[k] = a[k - 1]; k--; }
    a[k] = v;
  }
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 1;
  uint32_t sum = 0;
  for (long r = 0; r < rounds; r++) {
    uint32_t seed = (uint32_t)r * 2654435761u + 1;
    for (int i = 0; i < KEYS; i++) {
      seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
      keys[i] = copy[i] = seed;
    }
    for (int i = 0; i < STRS; i++) {
      for (int k = 0; k < STRLEN - 1; k++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        strs[i][k] = (char)('a' + (seed >> 8) % 4); /* few letters: long common prefixes */
      }
      strs[i][STRLEN - 1] = 0;
      ptrs[i] = strs[i];
    }
    qsort(keys, KEYS, sizeof keys[0], cmp_u32);
    quick(copy, KEYS);
    qsort(ptrs, STRS, sizeof ptrs[0], cmp_str);
    for (int i = 0; i < KEYS; i++) {
      if ((i > 0 && keys[i - 1] > keys[i]) || keys[i] != copy[i]) { printf("unsorted at %d\n", i); return 1; }
      sum = sum * 31 + keys[i];
    }
    for (int i = 1; i < STRS; i++) {
      if (strcmp(ptrs[i - 1], ptrs[i]) > 0) { printf("strings unsorted at %d\n", i); return 1; }
    }
    sum = sum * 31 + (uint32_t)(ptrs[0][0] + ptrs[STRS / 2][5] + ptrs[STRS - 1][10]);
  }
  printf("sort %ld sum %08x\n", rounds, sum);
  return 0;
}
