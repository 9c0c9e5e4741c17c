/*
 * random: getentropy (limits included), arc4random and friends, and raw
 * random_get: successive draws differ, zero-length requests work, and the
 * bits look balanced over 256 KiB.
 */
#include <wasi/api.h>

#include "tap.h"

static int popcount8(unsigned char c) {
  int n = 0;
  for (; c; c >>= 1) n += c & 1;
  return n;
}

int main(void) {
  unsigned char a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  check_int("getentropy 32 bytes", getentropy(a, sizeof a), 0);
  check_int("getentropy again", getentropy(b, sizeof b), 0);
  check("two draws differ", memcmp(a, b, sizeof a) != 0, "expected different bytes");
  static const unsigned char zero[32];
  check("a draw is not all zeros", memcmp(a, zero, sizeof a) != 0, "expected non-zero bytes");
  unsigned char big[256];
  check_int("getentropy 256 bytes (the maximum)", getentropy(big, sizeof big), 0);
  unsigned char too_big[257];
  check_err("getentropy over 256 bytes is EIO", getentropy(too_big, sizeof too_big), EIO);
  check_int("getentropy of 0 bytes", getentropy(a, 0), 0);

  uint32_t x = arc4random(), y = arc4random(), z = arc4random();
  check("arc4random values differ", !(x == y && y == z), "expected three different values");
  int out_of_range = 0;
  for (int i = 0; i < 1000; i++) out_of_range += arc4random_uniform(10) >= 10;
  check_int("arc4random_uniform stays below its bound", out_of_range, 0);
  memset(a, 0, sizeof a);
  arc4random_buf(a, sizeof a);
  check("arc4random_buf fills the buffer", memcmp(a, zero, sizeof a) != 0, "expected non-zero bytes");

  check_wasi("random_get of 0 bytes", __wasi_random_get(a, 0), 0);
  size_t n = 256 * 1024;
  unsigned char *buf = malloc(n);
  memset(buf, 0, n);
  check_wasi("random_get of 256 KiB in one call", __wasi_random_get(buf, n), 0);
  long long ones = 0;
  for (size_t i = 0; i < n; i++) ones += popcount8(buf[i]);
  long long bits = (long long)n * 8;
  check("about half the bits are set", ones > bits * 49 / 100 && ones < bits * 51 / 100,
        "expected 49%%..51%% ones got %lld of %lld", ones, bits);
  int zero_tail = 1;
  for (size_t i = n - 64; i < n; i++) zero_tail &= buf[i] == 0;
  check("the end of a large buffer is filled too", !zero_tail, "expected random bytes at the end");
  free(buf);
  return tap_done();
}
