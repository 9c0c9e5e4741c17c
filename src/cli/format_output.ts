/**
 * `--format` of the report commands (`version`, `info`, `history`, `volume`,
 * `system df`): `json` prints the JSON document, a Go template runs over
 * the same records; anything else is one line, exit 125.
 */
import { CliExit, ExitCode } from './exit.js';
import { isGoTemplate, printFormatted } from './go_template.js';

/** Print `records` as `format` asks: true if it did (json or a template), false for the default text. */
export function printReport(format: string | undefined, json: unknown, records: readonly Record<string, unknown>[], fields: readonly string[],
  headers: Readonly<Record<string, string>> = {}, example = '{{.ID}}'): boolean {
  if (format === undefined || format === '' || format === 'table') return false;
  if (format === 'json') {
    process.stdout.write(JSON.stringify(json, null, 4) + '\n');
    return true;
  }
  if (!isGoTemplate(format)) throw new CliExit(ExitCode.RUNTIME, `invalid --format ${format}: use json, or a Go template such as '${example}'`);
  printFormatted(format, records, fields, headers);
  return true;
}

/** A JSON document with every key's first letter capitalised, as podman's Go structs name the fields templates see. */
export function goFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(goFields);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toUpperCase() + k.slice(1), goFields(x)]));
}
