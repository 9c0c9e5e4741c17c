/**
 * Smoke test worker: the kernel's inline platform in a Web Worker (the
 * kernel is isomorphic). Receives module bytes and args, runs the module in
 * a fresh tmpfs root and answers its exit status and stdout.
 */
import { TmpFs } from '../../kernel/fs/tmpfs.js';
import { Kernel } from '../../kernel/kernel.js';
import { runInline } from '../../kernel/platform/inline.js';
import { ConsoleFile } from '../../kernel/task/console.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { installPreopen, installStdio } from '../../kernel/task/stdio.js';
import { MountNamespace } from '../../kernel/vfs/mount_ns.js';
import { OFlags } from '../../kernel/vfs/types.js';
import { portableHost } from '../../src/host/browser_host.js';

self.onmessage = (e: MessageEvent<{ bytes: Uint8Array; args: string[] }>) => {
  const host = portableHost();
  const kernel = new Kernel(host);
  const ns = new MountNamespace(new TmpFs(host));
  const task = kernel.createTask({ pathOps: ns.pathOps }, { args: e.data.args, env: [] });
  const out: number[] = [];
  const stdin = new Pipe();
  stdin.openHostWriter();
  stdin.hostClose();
  installStdio(
    task,
    { file: stdin.readEnd() },
    { file: new ConsoleFile({ isTty: false, write: (d) => out.push(...d) }, 'stdout') },
    { file: new ConsoleFile({ isTty: false, write: () => {} }, 'stderr') },
  );
  const root = ns.pathOps.open({ uid: 0, gid: 0 }, ns.rootHandle(), '/', {
    oflags: OFlags.DIRECTORY, fdflags: 0, followSymlinks: true, mode: { read: true, write: false },
  });
  installPreopen(task, root, '/');
  const status = runInline(task, new WebAssembly.Module(e.data.bytes), { dispatcher: kernel.dispatcher });
  (self as unknown as Worker).postMessage({ status, stdout: new TextDecoder().decode(new Uint8Array(out)) });
};
