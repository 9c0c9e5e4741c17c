import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { ConsoleFile } from '../../../kernel/task/console.js';
import { FileType } from '../../../kernel/vfs/types.js';

describe('ConsoleFile', () => {
  it('writes to the sink, never closes it, and fails with EPIPE once the host reader is gone', () => {
    const got: string[] = [];
    const sink = { isTty: false, closed: false, write: (d: Uint8Array) => { got.push(new TextDecoder().decode(d)); } };
    const f = new ConsoleFile(sink, 'stdout');
    expect(f.filetype).toBe(FileType.CHARACTER_DEVICE);
    expect(f.write(new TextEncoder().encode('a'))).toBe(1);
    sink.closed = true;
    expect(() => f.write(new TextEncoder().encode('b'))).toThrow(E.PIPE);
    expect(got).toEqual(['a']);
    f.release();
    expect(() => f.write(new Uint8Array(1))).toThrow(E.BADF);
    expect(() => f.read(1)).toThrow(E.BADF);
    expect(() => f.seek(0n, 0)).toThrow(E.SPIPE);
  });
});
