/**
 * The playground's terminal: xterm.js with the fit addon, in a chunk of its
 * own that the page imports dynamically (xterm is most of the page's
 * JavaScript), so that the runtime and the image load while it arrives.
 * Output is written as it comes (LF shown as CRLF: the guest writes `\n`);
 * keystrokes go to `onData` raw, for the guest to echo and edit.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

/**
 * A terminal, made now (its parser and buffers) and shown in an element by `open` (its DOM, measurements and
 * first render: the part that lays out the page); `text()` is its buffer as lines (trailing blank lines dropped).
 */
export function makeTerminal(onData: (d: string) => void): { term: Terminal; open(el: HTMLElement): void; text(): string } {
  const term = new Terminal({ convertEol: true, fontSize: 13, cursorBlink: true, scrollback: 2000, theme: { background: '#000000' } });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const open = (el: HTMLElement) => {
    term.open(el);
    // fitted to its panel once the page is idle, not now: a resize re-lays out every row, and the first output
    // (written meanwhile at the default 80 columns, where a sample's lines fit) should not wait for it
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => fit.fit(), { timeout: 250 });
    else setTimeout(() => fit.fit(), 50);
    addEventListener('resize', () => fit.fit());
  };
  term.onData(onData);
  return {
    term, open,
    text: () => {
      const b = term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
      return lines.join('\n').replace(/\n+$/, '');
    },
  };
}
