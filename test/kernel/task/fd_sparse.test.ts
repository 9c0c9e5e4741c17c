/**
 * The fd table is sparse: no operation costs O(fd number). A guest may
 * renumber to fd 4,294,967,294 (with RLIMIT_NOFILE at nr_open) and the
 * table must neither walk nor allocate 4e9 slots; and it still hands out
 * the lowest free fd, as a dense model does (checked with fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { FdTable, NR_OPEN } from '../../../kernel/task/fd_table.js';
import { Pipe } from '../../../kernel/task/pipe.js';

describe('sparse fd table', () => {
  it('renumber to a huge fd, then allocate, close and list in bounded time', () => {
    const t = new FdTable(2 ** 32);
    expect(t.limit).toBe(NR_OPEN); // clamped, as Linux's nr_open
    const p = new Pipe();
    for (let i = 0; i < 4; i++) t.insert(p.readEnd(), 0, 0);
    const start = performance.now();
    t.renumber(3, NR_OPEN - 1);
    expect(() => t.renumber(2, 4294967294)).toThrow(E.BADF); // past the limit
    expect(t.insert(p.readEnd(), 0, 0)).toBe(3);
    expect(t.insert(p.readEnd(), 0, 0)).toBe(4);
    expect([...t.entries()].map(([fd]) => fd)).toEqual([0, 1, 2, 3, 4, NR_OPEN - 1]);
    t.renumber(NR_OPEN - 1, 1); // back down over an open fd
    expect(t.count).toBe(5);
    t.closeAll();
    expect(t.count).toBe(0);
    expect(performance.now() - start).toBeLessThan(50);
  });

  it('a loop of renumbers far away and closes stays fast and does not grow', () => {
    const t = new FdTable(NR_OPEN);
    const p = new Pipe();
    const start = performance.now();
    for (let i = 0; i < 20000; i++) {
      const fd = t.insert(p.readEnd(), 0, 0);
      t.renumber(fd, NR_OPEN - 1 - (i % 1000));
    }
    expect(t.count).toBe(1000);
    expect(t.insert(p.readEnd(), 0, 0)).toBe(0);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('hands out the lowest free fd like a dense table (model check)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('insert' as const), min: fc.constantFrom(0, 0, 0, 3, 7) }),
      fc.record({ k: fc.constant('close' as const), fd: fc.nat(40) }),
      fc.record({ k: fc.constant('renumber' as const), from: fc.nat(40), to: fc.oneof(fc.nat(40), fc.constant(5000), fc.constant(NR_OPEN - 1)) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), fc.constantFrom(16, 64, NR_OPEN), (ops, limit) => {
      const t = new FdTable(limit);
      const model = new Set<number>();
      const p = new Pipe();
      for (const o of ops) {
        if (o.k === 'insert') {
          let want = o.min;
          while (model.has(want)) want++;
          if (want >= limit) {
            expect(() => t.insert(p.readEnd(), 0, 0, undefined, o.min)).toThrow(E.MFILE);
          } else {
            expect(t.insert(p.readEnd(), 0, 0, undefined, o.min)).toBe(want);
            model.add(want);
          }
        } else if (o.k === 'close') {
          if (model.has(o.fd)) {
            t.close(o.fd);
            model.delete(o.fd);
          } else expect(() => t.close(o.fd)).toThrow(E.BADF);
        } else if (!model.has(o.from)) {
          expect(() => t.renumber(o.from, o.to)).toThrow(E.BADF);
        } else if (o.from !== o.to && o.to >= limit) {
          expect(() => t.renumber(o.from, o.to)).toThrow(E.BADF);
        } else {
          t.renumber(o.from, o.to);
          model.delete(o.from);
          model.add(o.to);
        }
        expect(t.count).toBe(model.size);
      }
      expect([...t.entries()].map(([fd]) => fd)).toEqual([...model].sort((a, b) => a - b));
    }), { numRuns: 300 });
  });
});
