/**
 * Events a sandbox process tells containerd itself, when its container runs
 * under containerd's `io.containerd.runc.v2` shim. The shim learns of an
 * out-of-memory kill from the host cgroup's `memory.events`; a wasmvisor
 * container is OOM-killed by its own kernel's memory cgroup, which no host
 * cgroup sees. So the sandbox process publishes the shim's own `TaskOOM`
 * event (`/tasks/oom`) before it exits, with `containerd publish`, as shims
 * do; containerd's CRI plugin then reports `reason: OOMKilled`, as for runc.
 *
 * The shim is found as the nearest ancestor process whose command line has
 * `-address` and `-namespace` (containerd-shim-runc-v2's flags); there is
 * none outside containerd, and then nothing is published.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Where a shim's events go. */
export interface ShimEvents {
  /** containerd's socket (the shim's `-address`). */
  address: string;
  /** The containerd namespace (`-namespace`). */
  namespace: string;
  /** The containerd binary with the `publish` command (`-publish-binary`, else `containerd`). */
  publishBinary: string;
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The containerd shim among the first `depth` ancestors of this process, or null. */
export function findShim(depth = 4): ShimEvents | null {
  try {
    for (let pid = process.ppid, i = 0; pid > 1 && i < depth; pid = parentOf(pid), i++) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const flag = (f: string) => { const k = argv.indexOf(f); return k >= 0 ? argv[k + 1] : undefined; };
      const address = flag('-address');
      const namespace = flag('-namespace');
      if (address && namespace) return { address, namespace, publishBinary: flag('-publish-binary') ?? 'containerd' };
    }
  } catch {
    // an ancestor ended meanwhile, or no /proc: no shim to tell
  }
  return null;
}

/** Protobuf length-delimited field `field` holding `bytes`. */
function lenField(field: number, bytes: Buffer): Buffer {
  const len: number[] = [];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) { len.push(n); break; }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), bytes]);
}

/** `google.protobuf.Any` of `containerd.events.TaskOOM{container_id}`, as `containerd publish` reads it on stdin. */
export function taskOomPayload(containerId: string): Buffer {
  const oom = lenField(1, Buffer.from(containerId));
  return Buffer.concat([lenField(1, Buffer.from('containerd.events.TaskOOM')), lenField(2, oom)]);
}

/** Publish `TaskOOM` for `id` (waits at most 5 s); returns an error message, or null when published. */
export function publishOom(shim: ShimEvents, id: string): string | null {
  const r = spawnSync(shim.publishBinary, ['--address', shim.address, 'publish', '--topic', '/tasks/oom', '--namespace', shim.namespace], {
    input: taskOomPayload(id), timeout: 5000, stdio: ['pipe', 'ignore', 'pipe'],
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return `containerd publish exited ${r.status}: ${String(r.stderr).trim().split('\n')[0]}`;
  return null;
}
