/*
 * bench_coremark: a CoreMark-style compute loop for bench/metering.mjs (not
 * EEMBC's code, the same kinds of work): linked-list search, reversal and
 * merge sort; a small integer matrix multiply and bit extraction; a
 * state machine that classifies number strings; CRC16 over all results.
 * No system calls until the end, then one line: `coremark ITERATIONS crc HEX`
 * (deterministic: the same line on every runtime).
 *
 *   bench_coremark [ITERATIONS]   (default 1)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LIST_N 200
#define MAT_N 24
#define STATE_LEN 1024

typedef struct node { struct node *next; int16_t data; int16_t idx; } node;

static node pool[LIST_N];

static uint16_t crc16_byte(uint8_t b, uint16_t crc) {
  for (int i = 0; i < 8; i++) {
    uint16_t mix = (uint16_t)((crc ^ b) & 1);
    crc >>= 1;
    if (mix) crc ^= 0xA001;
    b >>= 1;
  }
  return crc;
}

static uint16_t crc16(int32_t v, uint16_t crc) {
  crc = crc16_byte((uint8_t)v, crc);
  crc = crc16_byte((uint8_t)(v >> 8), crc);
  crc = crc16_byte((uint8_t)(v >> 16), crc);
  return crc16_byte((uint8_t)(v >> 24), crc);
}

/* --- list --- */

static node *list_init(uint32_t seed) {
  for (int i = 0; i < LIST_N; i++) {
    seed = seed * 1103515245u + 12345u;
    pool[i].data = (int16_t)(seed >> 16);
    pool[i].idx = (int16_t)i;
    pool[i].next = i + 1 < LIST_N ? &pool[i + 1] : NULL;
  }
  return &pool[0];
}

static node *list_reverse(node *l) {
  node *prev = NULL;
  while (l) { node *n = l->next; l->next = prev; prev = l; l = n; }
  return prev;
}

static node *list_find(node *l, int16_t data) {
  while (l && (l->data & 0xff) != (data & 0xff)) l = l->next;
  return l;
}

static int cmp_data(const node *a, const node *b) { return a->data - b->data; }
static int cmp_idx(const node *a, const node *b) { return a->idx - b->idx; }

/* merge sort of a singly linked list (bottom-up, as CoreMark's) */
static node *list_sort(node *list, int (*cmp)(const node *, const node *)) {
  int insize = 1;
  for (;;) {
    node *p = list, *tail = NULL;
    list = NULL;
    int merges = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0;
      for (int i = 0; i < insize && q; i++) { psize++; q = q->next; }
      int qsize = insize;
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) { e = q; q = q->next; qsize--; }
        else if (qsize == 0 || !q) { e = p; p = p->next; psize--; }
        else if (cmp(p, q) <= 0) { e = p; p = p->next; psize--; }
        else { e = q; q = q->next; qsize--; }
        if (tail) tail->next = e; else list = e;
        tail = e;
      }
      p = q;
    }
    tail->next = NULL;
    if (merges <= 1) return list;
    insize *= 2;
  }
}

static uint16_t bench_list(uint32_t seed, uint16_t crc) {
  node *l = list_init(seed);
  for (int k = 0; k < 16; k++) {
    node *f = list_find(l, (int16_t)(k * 37));
    crc = crc16(f ? f->idx : -1, crc);
    l = list_reverse(l);
  }
  l = list_sort(l, cmp_data);
  crc = crc16(l->data, crc);
  l = list_sort(l, cmp_idx);
  for (node *p = l; p; p = p->next) crc = crc16(p->data, crc);
  return crc;
}

/* --- matrix --- */

static int16_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N];
static int32_t mc[MAT_N][MAT_N];

static uint16_t bench_matrix(uint32_t seed, uint16_t crc) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      seed = seed * 1664525u + 1013904223u;
      ma[i][j] = (int16_t)(seed >> 20);
      mb[i][j] = (int16_t)((seed >> 8) & 0xfff);
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int32_t s = 0;
      for (int k = 0; k < MAT_N; k++) s += (int32_t)ma[i][k] * mb[k][j];
      mc[i][j] = s;
    }
  int32_t acc = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int32_t bits = (mc[i][j] >> 2) & 0x0f;
      acc += bits > 7 ? bits * 3 : (int32_t)ma[i][j] + bits;
      ma[i][j] = (int16_t)(ma[i][j] + 5);
    }
  return crc16(acc, crc);
}

/* --- state machine --- */

enum state { START, INT, S1, FLOAT, S2, EXP, SCI, INVALID, NSTATES };

static enum state step(enum state s, char c) {
  int digit = c >= '0' && c <= '9';
  switch (s) {
    case START: return digit ? INT : c == '+' || c == '-' ? S1 : c == '.' ? FLOAT : INVALID;
    case S1: return digit ? INT : c == '.' ? FLOAT : INVALID;
    case INT: return digit ? INT : c == '.' ? FLOAT : c == 'e' || c == 'E' ? S2 : INVALID;
    case FLOAT: return digit ? FLOAT : c == 'e' || c == 'E' ? S2 : INVALID;
    case S2: return c == '+' || c == '-' ? EXP : digit ? SCI : INVALID;
    case EXP: return digit ? SCI : INVALID;
    case SCI: return digit ? SCI : INVALID;
    default: return INVALID;
  }
}

static char text[STATE_LEN];

static uint16_t bench_state(uint32_t seed, uint16_t crc) {
  static const char *words[] = { "5012", "1234", "-874", "+122", "35.54400", ".1234500", "-110.700", "+0.64400",
                                 "5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12", "T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^" };
  int n = 0;
  while (n + 10 < STATE_LEN) {
    seed = seed * 1103515245u + 12345u;
    const char *w = words[(seed >> 16) & 15];
    while (*w) text[n++] = *w++;
    text[n++] = ',';
  }
  text[n] = 0;
  unsigned counts[NSTATES] = { 0 };
  for (int round = 0; round < 4; round++) {
    enum state s = START;
    for (int i = 0; i < n; i++) {
      if (text[i] == ',') { counts[s]++; s = START; continue; }
      s = step(s, text[i]);
    }
    for (int i = round; i < n; i += 7) if (text[i] != ',') text[i] ^= 1;
  }
  for (int i = 0; i < NSTATES; i++) crc = crc16((int32_t)counts[i], crc);
  return crc;
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 1;
  uint16_t crc = 0;
  for (long it = 0; it < iterations; it++) {
    uint32_t seed = (uint32_t)it * 2654435761u;
    crc = bench_list(seed, crc);
    crc = bench_matrix(seed, crc);
    crc = bench_state(seed, crc);
  }
  printf("coremark %ld crc %04x\n", iterations, crc);
  return 0;
}
