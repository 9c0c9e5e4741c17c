/**
 * `wasmvisor images`: list the images in the store, as a table, podman's
 * JSON (`--format json`) or a Go template (`--format '{{.Repository}}'`,
 * `table …`; fields: see `templateRecord`).
 */
import type { Command } from 'commander';
import { summarise, type ImageSummary } from '../../image/content/manifest_inspect.js';
import { CliExit, ExitCode } from '../exit.js';
import { isGoTemplate, printFormatted } from '../go_template.js';
import { humanDuration } from './ps.js';
import { formatBytes } from '../progress.js';
import { storeFromCommand } from '../registry_setup.js';
import { filterImages, IMAGE_FILTER_KEYS, matchesName } from './images_filter.js';

/**
 * `images --format json`: podman's keys, one record per image ID with every
 * name in `RepoTags`. Compat: `Id` is the manifest (or index) digest's hex,
 * where podman's is the config digest's; `ParentId`, `SharedSize` and
 * `Containers` are always empty or 0; `Platform` is ours.
 */
export function jsonRecords(rows: readonly ImageSummary[]): Record<string, unknown>[] {
  const byId = new Map<string, ImageSummary[]>();
  for (const r of rows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  return [...byId.values()].map((rs) => {
    const r = rs[0]!;
    const tags = rs.filter((x) => x.tag !== '<none>').map((x) => x.name);
    const created = r.created === undefined ? undefined : Date.parse(r.created);
    return {
      Id: r.id.slice(7), ParentId: '', RepoTags: tags, RepoDigests: [...new Set(rs.map((x) => `${x.repository}@${r.id}`))],
      Size: r.size, SharedSize: 0, VirtualSize: r.size, Labels: null, Containers: 0, Names: rs.map((x) => x.name), Digest: r.id,
      History: tags, Created: created === undefined ? 0 : Math.floor(created / 1000), CreatedAt: r.created ?? '', Platform: r.platform,
    };
  });
}

/** Top-level fields of an `images --format` template, as podman names them. */
export const IMAGE_FIELDS = ['ID', 'Id', 'Repository', 'Tag', 'Digest', 'Created', 'CreatedAt', 'CreatedSince', 'CreatedTime', 'Size', 'VirtualSize',
  'SharedSize', 'Platform', 'Names', 'RepoTags', 'RepoDigests', 'Labels', 'Containers', 'Dangling', 'ReadOnly', 'History'] as const;

/** Go's time.Time as podman prints CreatedAt: `2024-01-02 03:04:05 +0000 UTC`. */
function goTime(iso: string | undefined): string {
  if (iso === undefined || Number.isNaN(Date.parse(iso))) return '';
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** One row as a Go template sees it (`ID` short unless `full`). */
export function templateRecord(r: ImageSummary, full: boolean, now = Date.now()): Record<string, unknown> {
  const since = r.created === undefined ? '' : `${humanDuration(now - Date.parse(r.created))} ago`;
  const size = r.size < 0 ? 'incomplete' : formatBytes(r.size);
  const record: Record<(typeof IMAGE_FIELDS)[number], unknown> = {
    ID: full ? r.id : r.id.slice(7, 19), Id: r.id.slice(7), Repository: r.repository, Tag: r.tag, Digest: r.id,
    Created: since, CreatedAt: goTime(r.created), CreatedSince: since, CreatedTime: goTime(r.created), Size: size, VirtualSize: size, SharedSize: '0 B',
    Platform: r.platform, Names: [r.name], RepoTags: r.tag === '<none>' ? [] : [r.name], RepoDigests: [`${r.repository}@${r.id}`],
    Labels: {}, Containers: 0, Dangling: false, ReadOnly: false, History: [],
  };
  return record;
}

/** Register `images`. */
export function register(program: Command): void {
  program
    .command('images')
    .description('list images in the store')
    .argument('[name]', 'only images of this repository (or name:tag)')
    .option('-a, --all', 'every image (as podman\'s; all are listed anyway: a Wasm image store has no hidden intermediate images)')
    .option('-q, --quiet', 'print only image IDs')
    .option('--digests', 'show full digests')
    .option('--no-trunc', 'print whole image IDs')
    .option('-f, --filter <KEY=VALUE>', `only images that match: ${IMAGE_FILTER_KEYS.join(', ')} (dangling=true|false; reference=NAME, * matches anything: reference='localhost/*'; id=PREFIX); repeatable: the same key matches either, different keys all`, (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--format <format>', 'json (podman\'s keys: Id, RepoTags, RepoDigests, Size, Created, ...), or a Go template over ID, Repository, Tag, Digest, Created, CreatedAt, CreatedSince, Size, Platform, Names, ...; "table" prefix adds a header')
    .action(async (name: string | undefined, opts: { quiet?: boolean; digests?: boolean; trunc: boolean; format?: string; filter: string[] }, c: Command) => {
      const store = await storeFromCommand(c);
      filterImages([], opts.filter); // a bad filter is 125 before any work
      let rows = await Promise.all((await store.images.list()).map((r) => summarise(store, r)));
      if (name) rows = rows.filter((r) => matchesName(r.name, r.repository, name));
      rows = filterImages(rows, opts.filter);
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(jsonRecords(rows), null, 2) + '\n');
        return;
      }
      if (opts.format !== undefined && opts.format !== 'table') {
        if (!isGoTemplate(opts.format)) throw new CliExit(ExitCode.RUNTIME, `invalid --format ${opts.format}: use json, table, or a Go template such as '{{.Repository}}:{{.Tag}}'`);
        printFormatted(opts.format, rows.map((r) => templateRecord(r, opts.digests === true || !opts.trunc)), IMAGE_FIELDS, { ID: 'IMAGE ID', CreatedSince: 'CREATED', Created: 'CREATED', ReadOnly: 'R/O' });
        return;
      }
      const id = (d: string): string => (opts.digests ? d : d.slice(7, 19));
      if (opts.quiet) {
        process.stdout.write([...new Set(rows.map((r) => id(r.id)))].map((l) => `${l}\n`).join(''));
        return;
      }
      const table = [['REPOSITORY', 'TAG', 'IMAGE ID', 'PLATFORM', 'CREATED', 'SIZE']];
      for (const r of rows) {
        table.push([r.repository, r.tag, id(r.id), r.platform, r.created?.slice(0, 19).replace('T', ' ') ?? '', r.size < 0 ? 'incomplete' : formatBytes(r.size)]);
      }
      const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      process.stdout.write(table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n').join(''));
    });
}
