/** Plain-text tables as the `ps`/`list` commands print them: columns padded to their widest cell. */

/** Write `rows` (the header first) to stdout, columns joined by `sep`, trailing blanks trimmed; `widthsOf` (a header left out) also sets the widths without being printed. */
export function printTable(rows: readonly (readonly string[])[], sep = '  ', widthsOf?: readonly string[]): void {
  const all = widthsOf ? [widthsOf, ...rows] : rows;
  if (all.length === 0) return;
  const w = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(w[i]!)).join(sep).trimEnd()}\n`);
}
