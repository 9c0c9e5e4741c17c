/**
 * bench/lib/format: human-readable durations, rates and ratios, and a plain
 * text / Markdown table printer, shared by the bench/ scripts.
 */

/** A duration in ns as "812 ns", "3.41 µs", "27.5 ms" or "1.92 s"; "—" if missing. */
export function formatNs(ns) {
  if (!Number.isFinite(ns)) return '—';
  const a = Math.abs(ns);
  if (a < 1e3) return `${ns.toFixed(0)} ns`;
  if (a < 1e6) return `${sig(ns / 1e3)} µs`;
  if (a < 1e9) return `${sig(ns / 1e6)} ms`;
  return `${sig(ns / 1e9)} s`;
}

/**
 * A median with its range in the median's unit: "3.76 µs (3.70–3.90)";
 * "—" if the median is missing.
 */
export function formatNsRange(medianNs, minNs, maxNs) {
  if (!Number.isFinite(medianNs)) return '—';
  const a = Math.abs(medianNs);
  const [div, unit] = a < 1e3 ? [1, 'ns'] : a < 1e6 ? [1e3, 'µs'] : a < 1e9 ? [1e6, 'ms'] : [1e9, 's'];
  const f = (x) => (Number.isFinite(x) ? sig(x / div) : '?');
  return `${f(medianNs)} ${unit} (${f(minNs)}–${f(maxNs)})`;
}

/** Bytes per second as "812 MB/s" or "3.41 GB/s" (decimal units); "—" if missing. */
export function formatRate(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond)) return '—';
  if (bytesPerSecond >= 1e9) return `${sig(bytesPerSecond / 1e9)} GB/s`;
  if (bytesPerSecond >= 1e6) return `${sig(bytesPerSecond / 1e6)} MB/s`;
  return `${sig(bytesPerSecond / 1e3)} kB/s`;
}

/** A ratio as "0.42×" (two decimals below 10, one above); "—" if missing. */
export function formatRatio(r) {
  if (!Number.isFinite(r)) return '—';
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** Three significant digits without exponent notation. */
function sig(x) {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * Render rows as a table. `columns` is `[{ title, align?: 'left'|'right' }]`,
 * `rows` arrays of strings. `markdown: true` gives a GitHub table, otherwise
 * space-padded columns with a rule under the header.
 */
export function formatTable(columns, rows, { markdown = false } = {}) {
  const widths = columns.map((c, i) => Math.max(len(c.title), ...rows.map((r) => len(r[i] ?? ''))));
  const pad = (s, i) => {
    const gap = ' '.repeat(widths[i] - len(s));
    return columns[i].align === 'right' ? gap + s : s + gap;
  };
  const lines = [];
  if (markdown) {
    lines.push(`| ${columns.map((c, i) => pad(c.title, i)).join(' | ')} |`);
    lines.push(`|${columns.map((c, i) => (c.align === 'right' ? `${'-'.repeat(widths[i] + 1)}:` : '-'.repeat(widths[i] + 2))).join('|')}|`);
    for (const r of rows) lines.push(`| ${columns.map((_, i) => pad(r[i] ?? '', i)).join(' | ')} |`);
  } else {
    lines.push(columns.map((c, i) => pad(c.title, i)).join('  ').trimEnd());
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) lines.push(columns.map((_, i) => pad(r[i] ?? '', i)).join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** Display width: code points (µ and × count as one). */
function len(s) {
  return [...s].length;
}
