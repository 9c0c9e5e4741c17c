import { describe, expect, it } from 'vitest';
import { Errno } from '../../../kernel/errno.js';
import { FileType } from '../../../kernel/vfs/types.js';
import { DIR_REQUEST, makeEnv, openPath, type Env } from './harness.js';

function dirents(env: Env, buf: number, used: number): { name: string; next: bigint; type: number }[] {
  const out = [];
  let p = buf;
  while (p + 24 <= buf + used) {
    const next = env.u64(p);
    const len = env.u32(p + 16);
    const type = env.u8()[p + 20]!;
    if (p + 24 + len > buf + used) break;
    out.push({ name: env.get(p + 24, len), next, type });
    p += 24 + len;
  }
  return out;
}

describe('fd_readdir / fd_prestat_*', () => {
  it('lists . and .. and entries, and continues from a cookie', () => {
    const env = makeEnv();
    for (const n of ['a', 'bb', 'ccc']) env.sys.fd_close(openPath(env, n, 1));
    const d = openPath(env, '.', 2 /* DIRECTORY */, 0, DIR_REQUEST);
    expect(env.sys.fd_readdir(d, 4096, 4096, 0n, 8)).toBe(0);
    const all = dirents(env, 4096, env.u32(8));
    expect(all.map((e) => e.name).sort()).toEqual(['.', '..', 'a', 'bb', 'ccc']);
    expect(all.find((e) => e.name === 'a')!.type).toBe(FileType.REGULAR_FILE);
    // A small buffer is filled completely (bufused == buf_len means "more")
    expect(env.sys.fd_readdir(d, 4096, 30, 0n, 8)).toBe(0);
    expect(env.u32(8)).toBe(30);
    const [first] = dirents(env, 4096, 30);
    expect(env.sys.fd_readdir(d, 4096, 4096, first!.next, 8)).toBe(0);
    expect(dirents(env, 4096, env.u32(8)).map((e) => e.name)).toEqual(all.slice(1).map((e) => e.name));
  });

  it('fd_readdir on a file is ENOTDIR; on a bad buffer is EFAULT', () => {
    const env = makeEnv();
    const f = openPath(env, 'x', 1);
    expect(env.sys.fd_readdir(f, 4096, 100, 0n, 8)).toBe(Errno.NOTDIR);
    expect(env.sys.fd_readdir(3, 65530, 100, 0n, 8)).toBe(Errno.FAULT);
  });

  it('fd_prestat_get / dir_name describe the preopens and say EBADF after them', () => {
    const env = makeEnv();
    expect(env.sys.fd_prestat_get(3, 8)).toBe(0);
    expect(env.u8()[8]).toBe(0);
    expect(env.u32(12)).toBe(1);
    expect(env.sys.fd_prestat_dir_name(3, 100, 1)).toBe(0);
    expect(env.get(100, 1)).toBe('/');
    expect(env.sys.fd_prestat_dir_name(3, 100, 0)).toBe(Errno.NAMETOOLONG);
    expect(env.sys.fd_prestat_get(4, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_prestat_get(1, 8)).toBe(Errno.BADF);
    expect(env.sys.fd_prestat_dir_name(1, 100, 10)).toBe(Errno.BADF);
  });
});
