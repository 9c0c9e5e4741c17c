/** Shared VFS suite, part: regular files, directories, open errors. See vfs_suite.ts. */
import { expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { FdFlags, FileType, OFlags, Whence } from '../../../kernel/vfs/types.js';
import { expectErr } from './helpers.js';
import type { SuiteSetup } from './vfs_suite.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Register the regular files, directories, open errors tests. */
export function vfsSuiteFiles(setup: SuiteSetup): void {
  it('seed tree is visible', () => {
    const { fx } = setup();
    expect(fx.ls('/seed')).toEqual(['a.txt', 'dir', 'empty', 'hard1', 'hard2', 'link', 'secret']);
    expect(fx.read('/seed/a.txt')).toBe('alpha');
    expect(fx.read('seed/dir/sub/c.txt')).toBe('gamma');
    expect(fx.read('/seed/link')).toBe('alpha');
    expect(fx.stat('/seed/hard1').nlink).toBe(2n);
    expect(fx.stat('/seed/hard1').ino).toBe(fx.stat('/seed/hard2').ino);
  });

  it('create, write, read, seek, pread/pwrite, append, truncate', () => {
    const { fx } = setup();
    const f = fx.open('/f', OFlags.CREAT | OFlags.EXCL, true);
    expect(f.write(enc.encode('hello world'))).toBe(11);
    expect(f.tell()).toBe(11n);
    expect(f.seek(0n, Whence.SET)).toBe(0n);
    expect(dec.decode(f.read(5))).toBe('hello');
    expect(dec.decode(f.pread(5, 6n))).toBe('world');
    expect(f.tell()).toBe(5n);
    f.pwrite(enc.encode('W'), 6n);
    expect(f.seek(-5n, Whence.END)).toBe(6n);
    expect(dec.decode(f.read(100))).toBe('World');
    expect(f.read(10).length).toBe(0);
    expectErr(() => f.seek(-100n, Whence.CUR), E.INVAL);
    expectErr(() => f.seek(0n, 7), E.INVAL);
    f.truncate(5n);
    expect(f.stat().size).toBe(5n);
    f.truncate(8n);
    expect([...f.pread(10, 0n)]).toEqual([...enc.encode('hello'), 0, 0, 0]);
    f.release();
    fx.append('/f', '!');
    expect(fx.stat('/f').size).toBe(9n);
    expect(fx.read('/f').endsWith('\0!')).toBe(true);
    fx.write('/f', 'new', OFlags.TRUNC);
    expect(fx.read('/f')).toBe('new');
    const g = fx.open('/f', 0, true, FdFlags.APPEND);
    g.seek(0n, Whence.SET);
    g.write(enc.encode('+'));
    expect(g.tell()).toBe(4n);
    expect(g.fdflags & FdFlags.APPEND).toBe(FdFlags.APPEND);
    g.release();
    expect(fx.read('/f')).toBe('new+');
    const r = fx.open('/f');
    expectErr(() => r.write(enc.encode('x')), E.BADF);
    expectErr(() => r.allocate(0n, 100n), E.BADF);
    expectErr(() => r.truncate(0n), E.INVAL);
    r.release();
  });

  it('allocate grows, holes read as zeros, large offsets', () => {
    const { fx } = setup();
    const f = fx.open('/h', OFlags.CREAT, true);
    f.allocate(10n, 20n);
    expect(f.stat().size).toBe(30n);
    expectErr(() => f.allocate(0n, 0n), E.INVAL);
    f.pwrite(enc.encode('end'), 1_000_000n);
    expect(f.stat().size).toBe(1_000_003n);
    const mid = f.pread(10, 500_000n);
    expect([...mid]).toEqual(new Array(10).fill(0));
    expect(dec.decode(f.pread(3, 1_000_000n))).toBe('end');
    expect(f.pread(10, 1n << 60n).length).toBe(0);
    f.release();
  });

  it('open errors: EXCL, NOENT, trailing slash, dirs, NUL, long names, empty', () => {
    const { fx } = setup();
    fx.write('/f', 'x');
    expectErr(() => fx.open('/f', OFlags.CREAT | OFlags.EXCL, true), E.EXIST);
    expectErr(() => fx.open('/missing'), E.NOENT);
    expectErr(() => fx.open('/missing/x'), E.NOENT);
    expectErr(() => fx.open('/f/'), E.NOTDIR);
    expectErr(() => fx.open('/f/x'), E.NOTDIR);
    expectErr(() => fx.open('/new/', OFlags.CREAT, true), E.ISDIR);
    expectErr(() => fx.open('/seed', 0, true), E.ISDIR);
    expectErr(() => fx.open('/seed', OFlags.TRUNC), E.ISDIR);
    expectErr(() => fx.open('/seed', OFlags.CREAT), E.ISDIR);
    expectErr(() => fx.open('/f', OFlags.DIRECTORY), E.NOTDIR);
    expectErr(() => fx.open('/f\0'), E.INVAL);
    expectErr(() => fx.open('/se\0ed/a.txt'), E.INVAL);
    expectErr(() => fx.open(''), E.NOENT);
    expectErr(() => fx.open('/' + 'n'.repeat(256), OFlags.CREAT, true), E.NAMETOOLONG);
    expectErr(() => fx.open('/' + 'é'.repeat(128), OFlags.CREAT, true), E.NAMETOOLONG);
    fx.write('/' + 'n'.repeat(255), 'ok');
    expect(fx.read('/' + 'n'.repeat(255))).toBe('ok');
    expectErr(() => fx.open('/a'.repeat(2100)), E.NAMETOOLONG);
    const d = fx.open('/seed/', OFlags.DIRECTORY);
    expect(d.filetype).toBe(FileType.DIRECTORY);
    expectErr(() => d.read(1), E.ISDIR);
    d.release();
    expect(fx.read('/seed/./dir/../a.txt')).toBe('alpha');
    expect(fx.read('//seed///a.txt')).toBe('alpha');
  });

  it('mkdir, rmdir, unlink and their errors', () => {
    const { fx } = setup();
    const n0 = fx.stat('/').nlink;
    fx.mkdir('/d');
    expect(fx.stat('/').nlink).toBe(n0 + 1n);
    expect(fx.stat('/d').nlink).toBe(2n);
    expectErr(() => fx.mkdir('/d'), E.EXIST);
    expectErr(() => fx.mkdir('/seed/a.txt'), E.EXIST);
    expectErr(() => fx.mkdir('/d/.'), E.EXIST);
    fx.mkdir('/e/'.replace('/e/', '/e') + '/');
    expect(fx.stat('/e').filetype).toBe(FileType.DIRECTORY);
    fx.write('/d/f', 'x');
    expectErr(() => fx.rmdir('/d'), E.NOTEMPTY);
    expectErr(() => fx.rmdir('/d/f'), E.NOTDIR);
    expectErr(() => fx.unlink('/d'), E.ISDIR);
    expectErr(() => fx.unlink('/d/f/'), E.NOTDIR);
    expectErr(() => fx.rmdir('/d/.'), E.INVAL);
    expectErr(() => fx.rmdir('/d/..'), E.NOTEMPTY);
    expectErr(() => fx.rmdir('/nope'), E.NOENT);
    fx.unlink('/d/f');
    expect(fx.exists('/d/f')).toBe(false);
    fx.rmdir('/d/');
    expect(fx.stat('/').nlink).toBe(n0 + 1n);
    fx.rmdir('/e');
    expectErr(() => fx.rmdir('/seed/dir'), E.NOTEMPTY);
    fx.rmdir('/seed/empty');
    expect(fx.exists('/seed/empty')).toBe(false);
    fx.unlink('/seed/a.txt');
    expect(fx.exists('/seed/a.txt')).toBe(false);
    expectErr(() => fx.read('/seed/link'), E.NOENT);
    fx.unlink('/seed/dir/sub/c.txt');
    fx.rmdir('/seed/dir/sub');
    fx.unlink('/seed/dir/b.txt');
    fx.rmdir('/seed/dir');
    expect(fx.ls('/seed')).toEqual(['hard1', 'hard2', 'link', 'secret']);
  });

  it('an unlinked open file stays readable and writable', () => {
    const { fx } = setup();
    fx.write('/u', 'data');
    const f = fx.open('/u', 0, true);
    fx.unlink('/u');
    expect(f.stat().nlink).toBe(0n);
    f.pwrite(enc.encode('D'), 0n);
    expect(dec.decode(f.pread(10, 0n))).toBe('Data');
    f.release();
    const g = fx.open('/seed/a.txt', 0, true);
    fx.unlink('/seed/a.txt');
    expect(dec.decode(g.pread(10, 0n))).toBe('alpha');
    g.release();
  });
}
