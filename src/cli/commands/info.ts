/**
 * `wasmvisor info [--format json|TEMPLATE]`: the host, the kernel (its
 * platforms, image platforms, features and limits) and the store, in
 * podman's shape (`host`, `store`, `version`; templates see the Go field
 * names: `{{.Store.GraphRoot}}`, `{{.Host.Kernel.Syscalls}}`).
 */
import { cpus, freemem, hostname, totalmem } from 'node:os';
import type { Command } from 'commander';
import { resolveStoreRoot } from '../../image/content/store_root.js';
import { storeFromCommand } from '../registry_setup.js';
import { DEFAULT_PLATFORMS } from '../../image/reference/platform.js';
import { listStates } from '../../runtime/detached/state.js';
import { defaultMemoryLimit, MEMORY_DEFAULT_CAP } from '../../runtime/memory_default.js';
import { containersRoot } from '../containers/store.js';
import { goFields, printReport } from '../format_output.js';
import { formatBytes } from '../progress.js';
import { osArch, packageVersion } from '../package_info.js';
import { volumesFromCommand } from '../volume_users.js';
import { versionDoc } from './version.js';

/** The info document (JSON keys as podman's `info --format json`). */
export async function infoDoc(c: Command): Promise<Record<string, unknown>> {
  const { SYSCALLS } = await import('../../../kernel/syscalls/table.js');
  const { registeredControllers } = await import('../../../kernel/cgroup/registry.js');
  const store = await storeFromCommand(c);
  const states = listStates(containersRoot(c));
  const count = (s: string) => states.filter((x) => x.status === s).length;
  const images = await store.images.list();
  return {
    host: {
      arch: osArch().split('/')[1], os: process.platform, hostname: hostname(), cpus: cpus().length, memTotal: totalmem(), memFree: freemem(),
      kernel: {
        name: 'wasmvisor', release: packageVersion(), abi: 'wasi_snapshot_preview1',
        syscalls: SYSCALLS.length, partial: SYSCALLS.filter((e) => e.support.level !== 'supported').map((e) => e.name),
        cgroupControllers: registeredControllers().map((t) => t.name),
        filesystems: ['overlay', 'tmpfs', 'proc', 'sysfs', 'cgroup2', 'devtmpfs', 'bind (host directories and files)'],
      },
      runtimePlatforms: ['inline', 'sentry'],
      imagePlatforms: DEFAULT_PLATFORMS.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`),
      limits: {
        memoryDefault: defaultMemoryLimit(totalmem()), memoryDefaultCap: MEMORY_DEFAULT_CAP, nofileDefault: 1024, logMaxSizeDefault: 10 * 1024 ** 2,
      },
      nodeVersion: process.version,
    },
    store: {
      graphRoot: resolveStoreRoot((c.optsWithGlobals() as { root?: string }).root),
      imageStore: { number: new Set(images.map((r) => r.target.digest)).size },
      containerStore: { number: states.length, running: count('running'), paused: count('paused'), stopped: count('stopped') + count('created') },
      volumeStore: { number: volumesFromCommand(c).list().length },
    },
    version: versionDoc().Client,
  };
}

/** Register `info`. */
export function register(program: Command): void {
  program.command('info')
    .description('show the host, the kernel (platforms, features, limits) and the store')
    .option('-f, --format <format>', 'json, or a Go template over podman\'s field names, e.g. \'{{.Store.GraphRoot}}\', \'{{.Host.Kernel.Syscalls}}\'')
    .action(async (opts: { format?: string }, c: Command) => {
      const doc = await infoDoc(c);
      if (printReport(opts.format, doc, [goFields(doc) as Record<string, unknown>], ['Host', 'Store', 'Version'], {}, '{{.Store.GraphRoot}}')) return;
      const h = doc.host as Record<string, any>;
      const s = doc.store as Record<string, any>;
      const lines = [
        'host:',
        `  arch: ${h.arch}`, `  os: ${h.os}`, `  hostname: ${h.hostname}`, `  cpus: ${h.cpus}`, `  memTotal: ${h.memTotal}`,
        '  kernel:',
        `    name: ${h.kernel.name} ${h.kernel.release} (${h.kernel.abi}, ${h.kernel.syscalls} calls, ${h.kernel.partial.length} partial)`,
        `    cgroupControllers: ${h.kernel.cgroupControllers.join(', ')}`,
        `    filesystems: ${h.kernel.filesystems.join(', ')}`,
        `  runtimePlatforms: ${h.runtimePlatforms.join(', ')}`,
        `  imagePlatforms: ${h.imagePlatforms.join(', ')}`,
        '  limits:',
        `    memoryDefault: ${formatBytes(h.limits.memoryDefault)} (half the host RAM, at most ${formatBytes(h.limits.memoryDefaultCap)})`,
        `    nofileDefault: ${h.limits.nofileDefault}`,
        `    logMaxSizeDefault: ${formatBytes(h.limits.logMaxSizeDefault)}`,
        `  nodeVersion: ${h.nodeVersion}`,
        'store:',
        `  graphRoot: ${s.graphRoot}`,
        `  imageStore: { number: ${s.imageStore.number} }`,
        `  containerStore: { number: ${s.containerStore.number}, running: ${s.containerStore.running}, paused: ${s.containerStore.paused}, stopped: ${s.containerStore.stopped} }`,
        `  volumeStore: { number: ${s.volumeStore.number} }`,
        'version:',
        `  Version: ${(doc.version as Record<string, unknown>).Version}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
