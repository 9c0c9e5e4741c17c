import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASI_PREVIEW1_IMPORTS } from '../../../kernel/abi/wasi.js';
import { SYSCALLS, SYSCALL_BY_NAME } from '../../../kernel/syscalls/table.js';
import { COVERAGE } from './coverage.js';

const HERE = import.meta.dirname;

describe('syscall table', () => {
  it('has one entry per preview1 import, in witx order, each with a handler and a codec', () => {
    expect(WASI_PREVIEW1_IMPORTS.length).toBe(46);
    expect(SYSCALLS.map((e) => e.name)).toEqual([...WASI_PREVIEW1_IMPORTS]);
    for (const e of SYSCALLS) {
      expect(typeof e.handler, e.name).toBe('function');
      expect(typeof e.codec.decode, e.name).toBe('function');
      if (e.support.level !== 'supported') expect(e.support.note.length, e.name).toBeGreaterThan(10);
    }
  });

  it('covers every function wasi-libc imports (when Debian wasi-libc is installed)', () => {
    const list = '/usr/lib/wasm32-wasi/libc.imports';
    if (!existsSync(list)) return;
    const names = readFileSync(list, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('__imported_wasi_snapshot_preview1_'));
    expect(names.length).toBeGreaterThan(40);
    for (const n of names) expect(SYSCALL_BY_NAME.has(n.replace('__imported_wasi_snapshot_preview1_', '')), n).toBe(true);
  });

  it('every import has a test case that calls it through the ABI', () => {
    for (const name of WASI_PREVIEW1_IMPORTS) {
      const files = COVERAGE[name];
      expect(files.length, `${name} has no test`).toBeGreaterThan(0);
      for (const f of files) {
        const src = readFileSync(join(HERE, f), 'utf8');
        expect(src.includes(`sys.${name}(`) || src.includes(`'${name}'`), `${f} does not call ${name}`).toBe(true);
      }
    }
  });

  it('import signatures match the witx (spot checks)', () => {
    const sig = (n: string) => SYSCALL_BY_NAME.get(n)!.codec.params.map(([, t]) => t).join(',');
    expect(sig('fd_write')).toBe('i32,i32,i32,i32');
    expect(sig('fd_pread')).toBe('i32,i32,i32,i64,i32');
    expect(sig('path_open')).toBe('i32,i32,i32,i32,i32,i64,i64,i32,i32');
    expect(sig('clock_time_get')).toBe('i32,i64,i32');
    expect(sig('fd_filestat_set_times')).toBe('i32,i64,i64,i32');
    expect(sig('path_filestat_set_times')).toBe('i32,i32,i32,i32,i64,i64,i32');
    expect(sig('sock_recv')).toBe('i32,i32,i32,i32,i32,i32');
    expect(SYSCALL_BY_NAME.get('proc_exit')!.codec.returnsErrno).toBe(false);
  });
});
