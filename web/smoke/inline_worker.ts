/**
 * Smoke test worker: the kernel's inline platform in a Web Worker (the
 * kernel is isomorphic). Receives module bytes and args, builds the same
 * container as every platform (`buildContainer`: empty root, /dev, /proc,
 * /sys/fs/cgroup, /etc/hostname) and runs the module in it; answers its
 * exit status and stdout.
 */
import { runInline } from '../../kernel/platform/inline.js';
import { ConsoleFile } from '../../kernel/task/console.js';
import { Pipe } from '../../kernel/task/pipe.js';
import { portableHost } from '../../src/host/browser_host.js';
import { toProcess, toContainerSpec } from '../../src/runtime/config.js';
import { buildContainer } from '../../src/runtime/container_builder.js';

self.onmessage = (e: MessageEvent<{ bytes: Uint8Array; args: string[] }>) => {
  const config = { process: { args: e.data.args, env: [] } };
  const built = buildContainer(portableHost(), toContainerSpec(config, 256 * 1024 * 1024), { fileLimit: 'enospc' });
  const out: number[] = [];
  const stdin = new Pipe();
  stdin.openHostWriter();
  stdin.hostClose();
  const task = built.createTask(toProcess(config.process, 'null', 'main.wasm'), {
    stdin: { file: stdin.readEnd() },
    stdout: { file: new ConsoleFile({ isTty: false, write: (d) => out.push(...d) }, 'stdout') },
    stderr: { file: new ConsoleFile({ isTty: false, write: () => {} }, 'stderr') },
  });
  const status = runInline(task, new WebAssembly.Module(e.data.bytes), {
    dispatcher: built.kernel.dispatcher, onMemory: (bytes) => built.cgroup.chargeMemory(task.pid, bytes),
  });
  (self as unknown as Worker).postMessage({ status, stdout: new TextDecoder().decode(new Uint8Array(out)) });
};
