import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { entryCost, INODE_COST, TmpFs } from '../../../kernel/fs/tmpfs.js';
import { CHUNK } from '../../../kernel/fs/tmpfs_data.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';
import { buildSeed } from '../vfs/seed.js';
import { vfsSuite } from '../vfs/vfs_suite.js';
import { vfsReadOnlySuite } from '../vfs/vfs_ro_suite.js';

vfsSuite('tmpfs', () => {
  const host = new FakeHost();
  const ns = new MountNamespace(new TmpFs(host));
  buildSeed(ns);
  return { ns, host };
});

vfsReadOnlySuite('tmpfs (read-only mount)', () => {
  const host = new FakeHost();
  const fs = new TmpFs(host);
  buildSeed(new MountNamespace(fs));
  return { ns: new MountNamespace(fs, { readonly: true }), host };
});

describe('tmpfs specifics', () => {
  it('counts bytes and enforces its limit with ENOSPC', () => {
    const host = new FakeHost();
    const fs = new TmpFs(host, { limit: 3 * CHUNK });
    const fx = new Fx(new MountNamespace(fs));
    expect(fs.bytesUsed).toBe(0);
    fx.write('/small', 'abc');
    expect(fs.bytesUsed).toBeGreaterThan(0);
    expect(fs.bytesUsed).toBeLessThan(1024);
    fx.write('/big', new Uint8Array(2 * CHUNK));
    expect(fs.bytesUsed).toBeGreaterThanOrEqual(2 * CHUNK);
    // As write(2) on a full Linux tmpfs: the part that fits is written (a short count), then ENOSPC.
    const w = fx.open('/big2', OFlags.CREAT, true);
    const n = w.write(new Uint8Array(CHUNK + 10).fill(7));
    expect(n).toBeGreaterThan(CHUNK - 4096);
    expect(n).toBeLessThan(CHUNK + 10);
    expect(fx.stat('/big2').size).toBe(BigInt(n));
    expect(fs.bytesUsed).toBe(3 * CHUNK);
    expectErr(() => w.write(new Uint8Array(1)), E.NOSPC);
    expect(fx.stat('/big2').size).toBe(BigInt(n));
    w.release();
    fx.unlink('/big');
    expect(fs.bytesUsed).toBeLessThan(n + 1024);
    fx.write('/big2', new Uint8Array(CHUNK + 10));
    // Truncating down frees, truncating up is a hole.
    const f = fx.open('/big2', 0, true);
    f.truncate(5n);
    expect(fs.bytesUsed).toBeLessThanOrEqual(CHUNK + 1024);
    f.truncate(BigInt(100 * CHUNK));
    expect(fs.bytesUsed).toBeLessThanOrEqual(CHUNK + 1024);
    // Data of an open unlinked file is freed on the last close.
    f.pwrite(new Uint8Array(CHUNK), 0n);
    const used = fs.bytesUsed;
    fx.unlink('/big2');
    // Only the name's charge goes; the data stays while open.
    expect(fs.bytesUsed).toBe(used - entryCost('big2'));
    f.release();
    expect(fs.bytesUsed).toBeLessThan(1024);
  });

  it('holds a file across chunk boundaries and reads views in one chunk', () => {
    const host = new FakeHost();
    const fx = new Fx(new MountNamespace(new TmpFs(host)));
    const data = new Uint8Array(3 * CHUNK + 17).map((_, i) => (i * 7) & 0xff);
    const f = fx.open('/f', OFlags.CREAT, true);
    // Write in odd-sized pieces.
    for (let off = 0; off < data.length; off += 100_003) f.pwrite(data.subarray(off, off + 100_003), BigInt(off));
    const back = new Uint8Array(data.length);
    let pos = 0;
    for (;;) {
      const b = f.read(65536);
      if (b.length === 0) break;
      back.set(b, pos);
      pos += b.length;
    }
    expect(pos).toBe(data.length);
    expect(Buffer.compare(back, data)).toBe(0);
    const across = f.pread(20, BigInt(CHUNK - 10));
    expect([...across]).toEqual([...data.subarray(CHUNK - 10, CHUNK + 10)]);
    f.release();
  });
});

describe('tmpfs sparse files', () => {
  it('a write far past the end allocates one chunk, not the hole', () => {
    const fs = new TmpFs(new FakeHost());
    const fx = new Fx(new MountNamespace(fs));
    const f = fx.open('/sparse', OFlags.CREAT, true);
    const t0 = performance.now();
    f.pwrite(new TextEncoder().encode('end'), 1n << 40n);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(f.stat().size).toBe((1n << 40n) + 3n);
    expect(fs.bytesUsed).toBeLessThanOrEqual(CHUNK + 1024);
    expect([...f.pread(4, (1n << 40n) - 1n)]).toEqual([0, 101, 110, 100]);
    f.truncate(10n);
    expect(fs.bytesUsed).toBe(INODE_COST + entryCost('sparse'));
    f.release();
  });
});

describe('metadata is charged too', () => {
  it('many empty files and directories hit the limit; removing them gives it all back', () => {
    const fs = new TmpFs(new FakeHost(), { limit: 100_000 });
    const fx = new Fx(new MountNamespace(fs));
    let made = 0;
    expectErr(() => {
      for (;; made++) {
        if (made % 2 === 0) fx.write(`/f${made}`, '');
        else fx.mkdir(`/d${made}`);
      }
    }, E.NOSPC);
    expect(made).toBeGreaterThan(100);
    expect(made).toBeLessThan(400);
    fx.rmdir('/d1');
    fx.rmdir('/d3');
    fx.symlink('x'.repeat(100), '/s');
    fx.link('/f0', '/f0b');
    fx.rename('/f0b', '/f0c');
    for (let i = 0; i < made; i++) {
      if (i === 1 || i === 3) continue;
      if (i % 2 === 0) fx.unlink(`/f${i}`);
      else fx.rmdir(`/d${i}`);
    }
    fx.unlink('/s');
    fx.unlink('/f0c');
    expect(fs.bytesUsed).toBe(0);
  });
});

describe('nested space accounts', () => {
  it('charge the parent too and honour every limit', async () => {
    const { SpaceAccount } = await import('../../../kernel/fs/tmpfs_data.js');
    const host = new FakeHost();
    const cgroup = new SpaceAccount(2 * CHUNK);
    const a = new TmpFs(host, { parentAccount: cgroup });
    const b = new TmpFs(host, { parentAccount: cgroup, limit: CHUNK / 2 });
    const fa = new Fx(new MountNamespace(a));
    const fb = new Fx(new MountNamespace(b));
    fa.write('/x', new Uint8Array(CHUNK + 1));
    expect(cgroup.used).toBe(a.bytesUsed);
    // b's own limit cuts the write short; the next byte is ENOSPC
    const y = fb.open('/y', OFlags.CREAT, true);
    const n = y.write(new Uint8Array(CHUNK));
    expect(n).toBeLessThan(CHUNK / 2);
    expect(n).toBeGreaterThan(CHUNK / 2 - 1024);
    expectErr(() => y.write(new Uint8Array(1)), E.NOSPC);
    y.release();
    fb.write('/y', new Uint8Array(1000));
    expect(cgroup.used).toBe(a.bytesUsed + b.bytesUsed);
    // the parent's limit cuts a's write short too
    const z = fa.open('/z', OFlags.CREAT, true);
    expect(z.write(new Uint8Array(CHUNK))).toBeLessThan(CHUNK);
    expectErr(() => z.write(new Uint8Array(1)), E.NOSPC);
    expect(cgroup.used).toBe(2 * CHUNK);
    z.release();
    fa.unlink('/x');
    fa.write('/z', new Uint8Array(CHUNK));
    expect(cgroup.used).toBe(a.bytesUsed + b.bytesUsed);
  });
});

describe('ChunkedData against a flat model', () => {
  it('random writes, truncates and trims read back exactly', async () => {
    const fc = (await import('fast-check')).default;
    const { ChunkedData, SpaceAccount } = await import('../../../kernel/fs/tmpfs_data.js');
    const near = fc.oneof(fc.integer({ min: 0, max: 3 * CHUNK + 100 }), fc.constantFrom(CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 3));
    const op = fc.oneof(
      fc.record({ k: fc.constant('w' as const), pos: near, len: fc.integer({ min: 0, max: CHUNK + 50 }), v: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ k: fc.constant('t' as const), pos: near, len: fc.constant(0), v: fc.constant(0) }),
      fc.record({ k: fc.constant('c' as const), pos: fc.constant(0), len: fc.constant(0), v: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const acct = new SpaceAccount();
        const d = new ChunkedData(acct);
        let model = new Uint8Array(0);
        for (const o of ops) {
          if (o.k === 'w') {
            d.write(o.pos, new Uint8Array(o.len).fill(o.v));
            if (o.len > 0) {
              const end = Math.max(model.length, o.pos + o.len);
              const m = new Uint8Array(end);
              m.set(model);
              m.fill(o.v, o.pos, o.pos + o.len);
              model = m;
            }
          } else if (o.k === 't') {
            d.truncate(o.pos);
            const m = new Uint8Array(o.pos);
            m.set(model.subarray(0, Math.min(o.pos, model.length)));
            model = m;
          } else d.trim();
          expect(d.size).toBe(model.length);
          expect(acct.used).toBe(d.allocatedBytes);
        }
        const back = d.read(0, model.length + 10);
        expect(back.length).toBe(model.length);
        expect(Buffer.compare(Buffer.from(back), Buffer.from(model))).toBe(0);
        // Reads at odd offsets too.
        const mid = Math.floor(model.length / 3);
        expect(Buffer.compare(Buffer.from(d.read(mid, 1000)), Buffer.from(model.subarray(mid, mid + 1000)))).toBe(0);
        d.free();
        expect(acct.used).toBe(0);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
