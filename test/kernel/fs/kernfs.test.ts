import { describe, expect, it } from 'vitest';
import { E } from '../../../kernel/errno.js';
import { DeviceFile } from '../../../kernel/fs/devfs.js';
import { GeneratedFile, KernfsDir, KernfsFile, KernfsFs, KernfsSymlink } from '../../../kernel/fs/kernfs.js';
import { ProcFs } from '../../../kernel/fs/procfs.js';
import { TmpFs } from '../../../kernel/fs/tmpfs.js';
import { StreamFile } from '../../../kernel/task/stream_file.js';
import { DefaultFile } from '../../../kernel/vfs/default_file.js';
import { DirDescription, RegularDescription } from '../../../kernel/vfs/file_description.js';
import type { Inode } from '../../../kernel/vfs/inode.js';
import { MountNamespace } from '../../../kernel/vfs/mount_ns.js';
import { ForwardingFile } from '../../../kernel/vfs/reopen.js';
import { type Filestat, FileType } from '../../../kernel/vfs/types.js';
import { FakeHost } from '../../support/fake_host.js';
import { expectErr, Fx } from '../vfs/helpers.js';

/** A small synthetic filesystem: a fixed file, a link, and one computed directory per number asked for. */
class NumFs extends KernfsFs {
  readonly root: KernfsDir;
  constructor(host: FakeHost) {
    super('numfs', 'numfs', host);
    const fs = this;
    this.root = new (class extends KernfsDir {
      protected override lookupDynamic(name: string): Inode | undefined {
        return /^[1-3]$/.test(name) ? new KernfsFile(fs, () => `n=${name}\n`) : undefined;
      }
      protected override readdirDynamic(after: number, max: number, _c: unknown, out: { name: string; ino: bigint; type: number; seq: number }[]): void {
        for (let n = 1; n <= 3 && out.length < max; n++) if (100 + n > after) out.push({ name: String(n), ino: 1000n + BigInt(n), type: FileType.REGULAR_FILE, seq: 100 + n });
      }
    })(this, null);
    this.root.kids.set('hello', new KernfsFile(this, (c) => `hello ${c.uid}\n`));
    this.root.kids.set('link', new KernfsSymlink(this, () => 'hello'));
  }
}

describe('kernfs', () => {
  it('a synthetic filesystem is a few lines on the base: fixed and computed entries, generated files, links', () => {
    const host = new FakeHost();
    const ns = new MountNamespace(new TmpFs(host));
    const fx = new Fx(ns);
    fx.ops.mkdir(fx.cred, fx.root, '/n', 0o755);
    ns.mount('/n', new NumFs(host), { readonly: true });
    expect(fx.ls('/n')).toEqual(['1', '2', '3', 'hello', 'link']);
    expect(fx.read('/n/hello')).toBe('hello 0\n');
    expect(fx.read('/n/link')).toBe('hello 0\n');
    expect(fx.read('/n/2')).toBe('n=2\n');
    const st = fx.ops.stat(fx.cred, fx.root, '/n/hello', true);
    expect([st.size, st.mode, st.uid]).toEqual([0n, 0o444, 0]);
    expectErr(() => fx.open('/n/4'), E.NOENT);
  });

  it('procfs is a kernfs filesystem', () => {
    expect(ProcFs.prototype).toBeInstanceOf(KernfsFs);
  });
});

describe('DefaultFile', () => {
  it('every OpenFile base shares it', () => {
    for (const c of [RegularDescription, DirDescription, ForwardingFile, StreamFile, GeneratedFile, DeviceFile]) {
      expect(c.prototype).toBeInstanceOf(DefaultFile);
    }
  });

  it('a file that overrides nothing answers each operation with its errno', () => {
    const f = new (class extends DefaultFile {
      readonly filetype = FileType.UNKNOWN;
      fdflags = 0;
      readonly mode = { read: true, write: true };
      stat(): Filestat {
        throw E.IO;
      }
      describe(): string {
        return 'x';
      }
    })();
    expectErr(() => f.read(1), E.BADF);
    expectErr(() => f.write(new Uint8Array(1)), E.BADF);
    expectErr(() => f.pread(1, 0n), E.SPIPE);
    expectErr(() => f.pwrite(new Uint8Array(1), 0n), E.SPIPE);
    expectErr(() => f.seek(0n, 0), E.SPIPE);
    expectErr(() => f.tell(), E.SPIPE);
    expectErr(() => f.truncate(0n), E.INVAL);
    expectErr(() => f.sync(), E.INVAL);
    expectErr(() => f.readdir(0n), E.NOTDIR);
    expectErr(() => f.allocate(0n, 1n), E.SPIPE);
    expectErr(() => f.setTimes(1n, 1n), E.PERM);
    expect([f.readable(), f.writable(), f.dir]).toEqual([false, false, undefined]);
  });
});
