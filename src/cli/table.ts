/** Plain-text tables as the `ps`/`list` commands print them: columns padded to their widest cell. */

/** Write `rows` (the header first) to stdout, columns joined by `sep`, trailing blanks trimmed. */
export function printTable(rows: readonly (readonly string[])[], sep = '  '): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(w[i]!)).join(sep).trimEnd()}\n`);
}
