import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { Rights } from '../../../kernel/abi/wasi.js';
import { FdTable } from '../../../kernel/task/fd_table.js';
import { FileDescription } from '../../../kernel/vfs/file_description.js';
import { Pipe } from '../../../kernel/task/pipe.js';

describe('FdTable', () => {
  it('inserts at the lowest free fd and honours the limit (EMFILE)', () => {
    const t = new FdTable(4);
    const p = new Pipe();
    expect(t.insert(p.readEnd(), 0, 0)).toBe(0);
    expect(t.insert(p.readEnd(), 0, 0)).toBe(1);
    t.close(0);
    expect(t.insert(p.readEnd(), 0, 0)).toBe(0);
    expect(t.insert(p.readEnd(), 0, 0, undefined, 3)).toBe(3);
    expect(t.insert(p.readEnd(), 0, 0)).toBe(2);
    expect(() => t.insert(p.readEnd(), 0, 0)).toThrow(E.MFILE);
    expect(t.count).toBe(4);
  });

  it('checks rights at lookup: EBADF for closed fds and read/write, ENOTCAPABLE otherwise', () => {
    const t = new FdTable();
    const fd = t.insert(new Pipe().readEnd(), Rights.FD_READ, 0);
    expect(t.file(fd, Rights.FD_READ)).toBeDefined();
    expect(() => t.get(fd, Rights.FD_WRITE)).toThrow(E.BADF);
    expect(() => t.get(fd, Rights.FD_SEEK)).toThrow(E.NOTCAPABLE);
    expect(() => t.get(7)).toThrow(E.BADF);
    expect(() => t.get(-1)).toThrow(E.BADF);
    expect(() => t.get(2 ** 32 - 1)).toThrow(E.BADF);
  });

  it('releases a description when its last fd closes', () => {
    const pipe = new Pipe();
    const desc = new FileDescription(pipe.writeEnd());
    const a = new FdTable();
    const b = new FdTable();
    a.insert(desc, 0, 0);
    b.insert(desc, 0, 0);
    expect(desc.count).toBe(2);
    a.close(0);
    expect(pipe.writers).toBe(1);
    b.close(0);
    expect(pipe.writers).toBe(0);
  });

  it('renumber is dup2: replaces and releases the target, also when the target is closed', () => {
    const t = new FdTable(10);
    const p1 = new Pipe();
    const p2 = new Pipe();
    t.insert(p1.writeEnd(), 1, 2);
    t.insert(p2.writeEnd(), 0, 0);
    t.renumber(0, 1);
    expect(p2.writers).toBe(0);
    expect(t.get(1).rightsBase).toBe(1);
    expect(() => t.get(0)).toThrow(E.BADF);
    t.renumber(1, 5);
    expect([...t.entries()].map(([fd]) => fd)).toEqual([5]);
    expect(() => t.renumber(5, 10)).toThrow(E.BADF);
    expect(() => t.renumber(3, 4)).toThrow(E.BADF);
    expect(t.count).toBe(1);
  });
});
