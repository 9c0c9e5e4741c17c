/**
 * `wasmvisor system df` (what images, containers and volumes take, and
 * what is reclaimable) and `wasmvisor system prune` (stopped containers,
 * dangling images or with -a every unused one, with --volumes unused
 * volumes, then content and unpacked layers nothing uses; containers go as
 * `container prune` removes them). `system df -v` is system_df_verbose.ts. `system info`
 * is `info` (see groups.ts).
 */
import type { Command } from 'commander';
import { collectGarbage, pruneSnapshots } from '../../image/content/gc.js';
import { splitName } from '../../image/content/manifest_inspect.js';
import { childDescriptors, findImage, readManifest } from '../../image/content/manifest_store.js';
import type { Digest } from '../../image/content/digest.js';
import type { ImageRecord, Store } from '../../image/content/store_root.js';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { usersOf } from '../../runtime/volume_store.js';
import { Annotation, containersRoot } from '../containers/store.js';
import { printReport } from '../format_output.js';
import { formatBytes } from '../progress.js';
import { storeFromCommand } from '../registry_setup.js';
import { printTable } from '../table.js';
import { mountSources, volumesFromCommand } from '../volume_users.js';
import { dirSize } from './system_size.js';
import { confirm } from '../confirm.js';
import { pruneContainers } from './container_prune.js';
import { clearMeteredCache } from '../../runtime/metered_cache.js';
import { printDfVerbose, type DfData } from './system_df_verbose.js';
import { CliExit, ExitCode } from '../exit.js';

/** Blobs (digest → size) an image record reaches. */
async function reach(store: Store, rec: ImageRecord, sizes: ReadonlyMap<Digest, number>): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  const queue = [rec.target];
  while (queue.length > 0) {
    const d = queue.pop()!;
    if (out.has(d.digest) || !sizes.has(d.digest)) continue;
    out.add(d.digest);
    try {
      if (/manifest|index/.test(d.mediaType)) queue.push(...childDescriptors(await readManifest(store.content, d)));
    } catch {
      /* not a manifest: a leaf */
    }
  }
  return out;
}

/** The image digests used by containers (their IMAGE annotation, when it still names an image). */
async function usedImages(store: Store, states: readonly RuncState[], imageOf?: Map<string, Digest>): Promise<Set<Digest>> {
  const used = new Set<Digest>();
  for (const st of states) {
    const img = st.annotations[Annotation.IMAGE];
    if (img === undefined) continue;
    try {
      const d = (await findImage(store, img)).target.digest;
      used.add(d);
      imageOf?.set(st.id, d);
    } catch {
      /* a file, or an image gone */
    }
  }
  return used;
}

const pct = (part: number, whole: number) => `${formatBytes(part)} (${whole === 0 ? 0 : Math.round((100 * part) / whole)}%)`;

/** Register `system` with `df` and `prune`. */
export function register(program: Command): void {
  const system = program.command('system').description('system-wide information and cleanup');
  system.command('df')
    .description('show the space images, containers and volumes use, and what is reclaimable')
    .option('--format <format>', 'json, or a Go template over Type, Total, Active, Size, Reclaimable')
    .option('-v, --verbose', 'one table each for images (shared and unique size, containers), containers and volumes')
    .addHelpText('after', '\nExit status: 0; 125 for an invalid --format, or --format with -v (as podman).')
    .action(async (opts: { format?: string; verbose?: boolean }, c: Command) => {
      if (opts.verbose && opts.format !== undefined) throw new CliExit(ExitCode.RUNTIME, 'cannot combine --format and --verbose flags');
      const store = await storeFromCommand(c);
      const root = containersRoot(c);
      const states = listStates(root);
      const sizes = new Map((await store.content.list()).map((i) => [i.digest, i.size]));
      const images = await store.images.list();
      const imageOf = new Map<string, Digest>();
      const used = await usedImages(store, states, imageOf);
      const activeBlobs = new Set<Digest>();
      const allBlobs = new Set<Digest>();
      const perImage: DfData['images'][number][] = [];
      for (const r of images) {
        const blobs = await reach(store, r, sizes);
        perImage.push({ rec: r, blobs, usedBy: states.filter((st) => st.annotations[Annotation.IMAGE] !== undefined && imageOf.get(st.id) === r.target.digest).length });
        blobs.forEach((b) => allBlobs.add(b));
        if (used.has(r.target.digest)) blobs.forEach((b) => activeBlobs.add(b));
      }
      const sum = (s: Set<Digest>) => [...s].reduce((n, d) => n + (sizes.get(d) ?? 0), 0);
      const imgSize = sum(allBlobs);
      const ctrSizes = states.map((st) => ({ st, size: dirSize(`${root}/${st.id}`) }));
      const ctrSize = ctrSizes.reduce((n, x) => n + x.size, 0);
      const ctrReclaim = ctrSizes.filter((x) => x.st.status === 'stopped' || x.st.status === 'created').reduce((n, x) => n + x.size, 0);
      const vols = volumesFromCommand(c);
      const sources = mountSources(c);
      const volRows = vols.list().map((v) => ({ v, size: vols.size(v.Name), used: usersOf(v, sources).length > 0 }));
      const volSize = volRows.reduce((n, x) => n + x.size, 0);
      const rows = [
        { Type: 'Images', Total: new Set(images.map((r) => r.target.digest)).size, Active: used.size, RawSize: imgSize, RawReclaimable: imgSize - sum(activeBlobs) },
        { Type: 'Containers', Total: states.length, Active: states.filter((s) => s.status === 'running' || s.status === 'paused').length, RawSize: ctrSize, RawReclaimable: ctrReclaim },
        { Type: 'Local Volumes', Total: volRows.length, Active: volRows.filter((x) => x.used).length, RawSize: volSize, RawReclaimable: volRows.filter((x) => !x.used).reduce((n, x) => n + x.size, 0) },
      ];
      if (opts.verbose) {
        const users = (name: string) => vols.list().find((v) => v.Name === name);
        printDfVerbose({
          images: perImage, sizes,
          containers: ctrSizes.map((x) => ({ ...x, volumes: vols.list().filter((v) => usersOf(v, sources).includes(x.st.id)).length })),
          volumes: volRows.map((x) => ({ name: x.v.Name, size: x.size, links: usersOf(users(x.v.Name)!, sources).length })),
        });
        return;
      }
      const records = rows.map((r) => ({ ...r, Size: formatBytes(r.RawSize), Reclaimable: pct(r.RawReclaimable, r.RawSize) }));
      if (printReport(opts.format, records, records, ['Type', 'Total', 'Active', 'Size', 'Reclaimable', 'RawSize', 'RawReclaimable'], {}, '{{.Type}} {{.Size}}')) return;
      printTable([['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], ...records.map((r) => [r.Type, String(r.Total), String(r.Active), r.Size, r.Reclaimable])]);
    });
  system.command('prune')
    .description('remove stopped containers, dangling images (-a: every image no container uses), unused volumes (--volumes), and content nothing uses')
    .option('-a, --all', 'remove every image no container uses, not only dangling ones (named only by digest)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--volumes', 'remove volumes no container uses too')
    .addHelpText('after', '\nWithout -f it asks on stdin and does nothing unless the answer is y or yes.')
    .action(async (opts: { all?: boolean; force?: boolean; volumes?: boolean }, c: Command) => {
      if (!opts.force && !(await confirm(`WARNING! This command removes:\n\t- all stopped containers\n${opts.volumes ? '\t- all volumes not used by at least one container\n' : ''}\t- all ${opts.all ? 'images without at least one container associated to them' : 'dangling images'}\n\nAre you sure you want to continue? [y/N] `))) return;
      const store = await storeFromCommand(c);
      const root = containersRoot(c);
      // the containers as container prune removes them (container_prune.ts)
      const { ids: gone, bytes } = await pruneContainers(root);
      let reclaimed = bytes;
      if (gone.length) process.stdout.write(`Deleted Containers\n${gone.map((g) => `${g}\n`).join('')}`);
      if (opts.volumes) {
        const vols = volumesFromCommand(c);
        const sources = mountSources(c);
        const removed: string[] = [];
        for (const v of vols.list()) {
          if (usersOf(v, sources).length > 0) continue;
          reclaimed += vols.size(v.Name);
          vols.remove(v.Name);
          removed.push(v.Name);
        }
        if (removed.length) process.stdout.write(`Deleted Volumes\n${removed.map((g) => `${g}\n`).join('')}`);
      }
      const used = await usedImages(store, listStates(root));
      const deletedIds = new Set<string>();
      for (const r of await store.images.list()) {
        if (used.has(r.target.digest)) continue;
        if (!opts.all && splitName(r.name).tag !== '<none>') continue;
        await store.images.delete(r.name);
        deletedIds.add(r.target.digest.slice(7));
      }
      const left = await store.images.targets();
      const ids = [...deletedIds].filter((d) => !left.has(`sha256:${d}` as Digest));
      if (ids.length) process.stdout.write(`Deleted Images\n${ids.map((g) => `${g}\n`).join('')}`);
      const gc = await collectGarbage(store, { ingestMaxAgeMs: 0 });
      await pruneSnapshots(store);
      reclaimed += gc.bytes;
      reclaimed += await clearMeteredCache(store.root); // metered modules (runtime/metered_cache.ts): rewritten again when next run
      process.stdout.write(`Total reclaimed space: ${formatBytes(reclaimed)}\n`);
    });
}
