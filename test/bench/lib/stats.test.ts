/** bench/lib/stats, format and timing helpers shared by the bench/ scripts. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs without type declarations
import { mean, median, quantile, ratio, summarize } from '../../../bench/lib/stats.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { formatNs, formatNsRange, formatRatio, formatTable } from '../../../bench/lib/format.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { interleave, rotate } from '../../../bench/lib/timing.mjs';

describe('stats', () => {
  it('median of odd and even counts, unsorted input left unchanged', () => {
    const v = [5, 1, 3];
    expect(median(v)).toBe(3);
    expect(v).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it('quantile, mean, summarize, ratio', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(summarize([3, 1, 2])).toEqual({ n: 3, median: 2, min: 1, max: 3, mean: 2 });
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(NaN, 2)).toBeNaN();
  });
});

describe('format', () => {
  it('durations pick a unit and keep three significant digits', () => {
    expect(formatNs(812)).toBe('812 ns');
    expect(formatNs(3410)).toBe('3.41 µs');
    expect(formatNs(27_500_000)).toBe('27.5 ms');
    expect(formatNs(1.923e9)).toBe('1.92 s');
    expect(formatNs(NaN)).toBe('—');
    expect(formatNsRange(3760, 3500, 12_000)).toBe('3.76 µs (3.50–12.0)');
    expect(formatRatio(0.4234)).toBe('0.42×');
    expect(formatRatio(12.34)).toBe('12.3×');
  });
  it('tables pad columns and align right when asked', () => {
    const t = formatTable([{ title: 'a' }, { title: 'bb', align: 'right' }], [['xyz', '1'], ['µ', '22']]);
    expect(t.split('\n')).toEqual(['a    bb', '---  --', 'xyz   1', 'µ    22']);
    const md = formatTable([{ title: 'a' }, { title: 'b', align: 'right' }], [['x', '1']], { markdown: true });
    expect(md.split('\n')).toEqual(['| a | b |', '|---|--:|', '| x | 1 |']);
  });
});

describe('timing', () => {
  it('interleave rotates the order every round', () => {
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    const plan = interleave(['a', 'b'], 3).map((p: { round: number; cell: string }) => `${p.round}${p.cell}`);
    expect(plan).toEqual(['0a', '0b', '1b', '1a', '2a', '2b']);
  });
});
