/**
 * --strace shows guest-controlled strings and buffers on the user's
 * terminal: escape sequences, C1 controls, bidi overrides, invalid UTF-8 and
 * megabyte buffers must come out escaped and cut, one line per call.
 */
import { describe, expect, it } from 'vitest';
import { formatValue, quoteString } from '../../kernel/platform/strace.js';
import { makeEnv } from '../kernel/syscalls/harness.js';

const ALL = (1n << 30n) - 1n;

/** True if `line` holds only printable characters and spaces (nothing a terminal acts on). */
function inert(line: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(line);
}

describe('strace with hostile guest data', () => {
  it('control characters, C1 CSI, DEL and bidi overrides in paths are escaped', () => {
    const env = makeEnv({ trace: true });
    const evil = 'a\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f\u202e\u2028\r\nb"\\';
    const n = env.put(1000, evil);
    env.sys.path_open(3, 0, 1000, n, 0, ALL, ALL, 0, 900);
    env.sys.path_create_directory(3, 1000, n);
    expect(env.strace.length).toBe(2);
    for (const line of env.strace) {
      expect(inert(line), line).toBe(true);
      expect(line).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x7f\\u{202e}\\u{2028}\\r\\nb\\"\\\\');
    }
  });

  it('written buffers: control bytes and invalid UTF-8 escaped, cut at 32 bytes', () => {
    const env = makeEnv({ trace: true });
    const data = new Uint8Array(60000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
    env.put(4096, data);
    env.iovs(16, [[4096, data.length]]);
    env.sys.fd_write(2, 16, 1, 8);
    expect(env.strace.length).toBe(1);
    const line = env.strace[0]!;
    expect(inert(line), line).toBe(true);
    expect(line.length).toBeLessThan(400);
    expect(line).toContain('"...)');
  });

  it('a read result (the file content) is escaped too', () => {
    const env = makeEnv({ trace: true, stdin: '\x1b[31mred\xff\x00' });
    env.iovs(16, [[100, 64]]);
    env.sys.fd_read(0, 16, 1, 8);
    expect(inert(env.strace[0]!), env.strace[0]).toBe(true);
    expect(env.strace[0]).toContain('\\x1b[31mred');
  });

  it('long strings are cut; invalid UTF-8 paths never reach the trace as raw bytes', () => {
    const env = makeEnv({ trace: true });
    const n = env.put(1000, 'x'.repeat(4000));
    env.sys.path_create_directory(3, 1000, n);
    expect(env.strace[0]!.length).toBeLessThan(400);
    const bad = env.put(1000, new Uint8Array([0x61, 0xff, 0xfe, 0x1b, 0x62]));
    env.sys.path_create_directory(3, 1000, bad);
    expect(inert(env.strace[1]!), env.strace[1]).toBe(true);
    expect(env.strace[1]).toContain('ILSEQ');
  });

  it('readdir results with hostile names are escaped', () => {
    const env = makeEnv({ trace: false });
    const name = 'n\x1b[5m\u009b';
    const n = env.put(1000, name);
    expect(env.sys.path_create_directory(3, 1000, n)).toBe(0);
    const shown = formatValue([{ name, next: 3n }], 1);
    expect(inert(shown)).toBe(true);
    expect(quoteString(name)).toBe('"n\\x1b[5m\\x9b"');
    expect(quoteString('\ud800')).toBe('"\\u{d800}"');
    expect(quoteString('é✓漢')).toBe('"é✓漢"');
  });
});
