/**
 * `wasmvisor history IMAGE`: the steps that made an image, newest first, as
 * podman prints them (ID, CREATED, CREATED BY, SIZE, COMMENT), or `--format
 * json` / a Go template over ID, Created, CreatedAt, CreatedSince,
 * CreatedBy, Size, Comment, Tags. A Wasm artifact (no history in its
 * config) shows one step per layer.
 */
import type { Command } from 'commander';
import { resolveImage } from '../../image/content/manifest_store.js';
import { MediaType } from '../../image/content/media_types.js';
import { storeFromCommand } from '../registry_setup.js';
import { printReport } from '../format_output.js';
import { printTable } from '../table.js';
import { formatBytes } from '../progress.js';
import { humanDuration } from './ps.js';

/** One history row. */
interface Row {
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
  tags: string[] | null;
}

/** Register `history`. */
export function register(program: Command): void {
  program.command('history')
    .description('show the steps (history) of an image, newest first')
    .argument('<image>', 'image name or ID')
    .option('-q, --quiet', 'print only the IDs')
    .option('--no-trunc', 'do not truncate IDs and CREATED BY')
    .option('-H, --human <bool>', 'sizes and dates in human terms (default true)', 'true')
    .option('--format <format>', 'json, or a Go template over ID, Created, CreatedAt, CreatedSince, CreatedBy, Size, Comment, Tags ("table" prefix adds a header)')
    .action(async (image: string, opts: { quiet?: boolean; trunc: boolean; human: string; format?: string }, c: Command) => {
      const store = await storeFromCommand(c);
      const img = await resolveImage(store, image);
      const layers = img.manifest.layers;
      const rows: Row[] = [];
      const hist = img.config.history ?? [];
      if (hist.length === 0 || img.manifest.config.mediaType === MediaType.WASM_CONFIG) {
        for (const l of layers) rows.push({ id: '<missing>', created: img.config.created ?? '', createdBy: l.annotations?.['org.opencontainers.image.title'] ?? l.mediaType, size: l.size, comment: '', tags: null });
      } else {
        let li = 0;
        for (const h of hist) {
          const size = h.empty_layer ? 0 : layers[li++]?.size ?? 0;
          rows.push({ id: '<missing>', created: h.created ?? '', createdBy: h.created_by ?? '', size, comment: h.comment ?? '', tags: null });
        }
      }
      rows.reverse();
      if (rows.length > 0) {
        rows[0]!.id = img.record.target.digest.slice(7);
        rows[0]!.tags = [img.record.name];
      }
      const now = Date.now();
      const human = opts.human !== 'false';
      const shortId = (id: string) => (opts.trunc && id !== '<missing>' ? id.slice(0, 12) : id);
      const since = (t: string) => (t === '' || Number.isNaN(Date.parse(t)) ? '' : `${humanDuration(now - Date.parse(t))} ago`);
      const records = rows.map((r) => ({
        ID: shortId(r.id), Created: human ? since(r.created) : r.created, CreatedAt: r.created, CreatedSince: since(r.created),
        CreatedBy: r.createdBy, Size: human ? formatBytes(r.size) : String(r.size), Comment: r.comment, Tags: r.tags ?? [],
      }));
      if (printReport(opts.format, rows, records, ['ID', 'Created', 'CreatedAt', 'CreatedSince', 'CreatedBy', 'Size', 'Comment', 'Tags'], { ID: 'IMAGE', CreatedBy: 'CREATED BY' }, '{{.CreatedBy}}')) return;
      if (opts.quiet) {
        process.stdout.write(records.map((r) => `${r.ID}\n`).join(''));
        return;
      }
      const by = (s: string) => (opts.trunc && s.length > 45 ? `${s.slice(0, 42)}...` : s);
      printTable([['ID', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...records.map((r) => [r.ID, r.Created, by(r.CreatedBy), r.Size, r.Comment])]);
    });
}
