import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { Pipe, PIPE_BUF } from '../../../kernel/task/pipe.js';
import { FdFlags } from '../../../kernel/vfs/types.js';
import { WouldBlock } from '../../../kernel/vfs/wait.js';

const b = (s: string) => new TextEncoder().encode(s);
const s = (u: Uint8Array) => new TextDecoder().decode(u);

describe('Pipe', () => {
  it('passes bytes in order across chunks', () => {
    const p = new Pipe();
    const r = p.readEnd();
    const w = p.writeEnd();
    w.write(b('abc'));
    w.write(b('def'));
    expect(s(r.read(2))).toBe('ab');
    expect(s(r.read(10))).toBe('cdef');
  });

  it('blocks an empty read while writers exist; EOF after the last writer', () => {
    const p = new Pipe();
    const r = p.readEnd();
    const w = p.writeEnd();
    let woke = 0;
    try {
      r.read(1);
      throw new Error('no block');
    } catch (e) {
      expect(e).toBeInstanceOf(WouldBlock);
      (e as WouldBlock).queues[0]!.subscribe(() => woke++);
    }
    w.release();
    expect(woke).toBe(1);
    expect(r.read(5).byteLength).toBe(0);
    expect(r.readable()).toBe(true);
  });

  it('NONBLOCK gives EAGAIN', () => {
    const p = new Pipe();
    const r = p.readEnd();
    p.writeEnd();
    r.fdflags = FdFlags.NONBLOCK;
    expect(() => r.read(1)).toThrow(E.AGAIN);
  });

  it('EPIPE without readers; full pipe blocks; small writes are atomic', () => {
    const p = new Pipe(PIPE_BUF + 10);
    const r = p.readEnd();
    const w = p.writeEnd();
    expect(w.write(new Uint8Array(PIPE_BUF))).toBe(PIPE_BUF);
    expect(() => w.write(new Uint8Array(11))).toThrow(WouldBlock); // atomic: not split
    expect(w.write(new Uint8Array(PIPE_BUF + 1))).toBe(10); // large: partial
    expect(w.writable()).toBe(false);
    r.read(100);
    expect(w.writable()).toBe(true);
    r.release();
    expect(() => w.write(b('x'))).toThrow(E.PIPE);
    expect(p.size).toBe(0);
  });

  it('host writer: data then EOF', () => {
    const p = new Pipe();
    const r = p.readEnd();
    p.openHostWriter();
    p.hostWrite(b('in'));
    p.hostClose();
    expect(s(r.read(10))).toBe('in');
    expect(r.read(10).byteLength).toBe(0);
    expect(() => r.write(b('x'))).toThrow(E.BADF);
    expect(() => r.seek(0n, 0)).toThrow(E.SPIPE);
  });
});
