/**
 * The subset of Go's text/template that podman users put in `--format`,
 * shared by `ps`, `images` and `inspect`:
 *
 * - fields and nested fields (`{{.Config.Entrypoint}}`), `{{.}}`;
 * - pipelines with `|` and the functions `json`, `index`, `join`, `upper`,
 *   `lower`, `title`, `len`, `printf` (`%s %d %v %q %%`), `truncate`, `eq`,
 *   `ne`, `not`;
 * - `{{range PIPE}}…{{else}}…{{end}}`, `{{if PIPE}}…{{else}}…{{end}}`,
 *   `{{with PIPE}}…{{end}}`; `{{-` and `-}}` trim spaces as Go does;
 * - podman's conventions (containers/common `report`): `json` alone is
 *   `{{json .}}`, a `table ` prefix adds a header row, `\t` and `\n` in the
 *   format are a tab and a newline, a newline ends every record, and columns
 *   separated by tabs are aligned as podman's tabwriter does (min width 12,
 *   padding 2).
 *
 * Values print as Go prints them: a list as `[a b]`, a map as
 * `map[k:v]`, a missing value as `<no value>`. A field the data does not
 * have is an error naming it (exit 125), never an empty string.
 */
import { CliExit, ExitCode } from './exit.js';
import { CodedError } from '../coded_error.js';

/** A template that cannot be parsed or run (`code`: PARSE or EXEC). */
export class GoTemplateError extends CodedError<'PARSE' | 'EXEC'> {
  override readonly name = 'GoTemplateError';
}

type Arg = { k: 'field'; path: string[] } | { k: 'str'; v: string } | { k: 'num'; v: number } | { k: 'fn'; name: string } | { k: 'bool'; v: boolean };
type Pipe = Arg[][];
type Node =
  | { k: 'text'; v: string }
  | { k: 'out'; pipe: Pipe }
  | { k: 'if' | 'range' | 'with'; pipe: Pipe; body: Node[]; alt: Node[] };

const FUNCS = new Set(['json', 'index', 'join', 'upper', 'lower', 'title', 'len', 'printf', 'truncate', 'eq', 'ne', 'not']);

function tokenize(src: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|`[^`]*`|\||[^\s|]+/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[0]);
  return out;
}

function parseArg(tok: string, src: string): Arg {
  if (tok === '.') return { k: 'field', path: [] };
  if (tok.startsWith('.')) {
    const path = tok.slice(1).split('.');
    if (path.some((p) => !/^[A-Za-z_]\w*$/.test(p))) throw new GoTemplateError('PARSE', `bad field ${tok} in {{${src}}}`);
    return { k: 'field', path };
  }
  if (tok.startsWith('"')) return { k: 'str', v: JSON.parse(tok) as string };
  if (tok.startsWith('`')) return { k: 'str', v: tok.slice(1, -1) };
  if (/^-?\d+$/.test(tok)) return { k: 'num', v: Number(tok) };
  if (tok === 'true' || tok === 'false') return { k: 'bool', v: tok === 'true' };
  if (FUNCS.has(tok)) return { k: 'fn', name: tok };
  throw new GoTemplateError('PARSE', `function "${tok}" not defined in {{${src}}}`);
}

function parsePipe(src: string): Pipe {
  const cmds: Arg[][] = [[]];
  for (const t of tokenize(src)) {
    if (t === '|') cmds.push([]);
    else cmds[cmds.length - 1]!.push(parseArg(t, src));
  }
  if (cmds.some((c) => c.length === 0)) throw new GoTemplateError('PARSE', `missing value in {{${src}}}`);
  return cmds;
}

/** Parse a template (after podman's normalisation) into its node tree. */
function parse(src: string): Node[] {
  const root: Node[] = [];
  type Block = Extract<Node, { k: 'if' | 'range' | 'with' }>;
  const stack: { nodes: Node[]; block?: Block; inAlt: boolean }[] = [{ nodes: root, inAlt: false }];
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    const top = stack[stack.length - 1]!;
    if (text) top.nodes.push({ k: 'text', v: text });
    last = m.index + m[0].length;
    trimNext = m[3] !== undefined;
    const body = m[2]!.trim();
    if (body.startsWith('/*')) continue;
    const kw = /^(if|range|with|else|end)\b\s*([\s\S]*)$/.exec(body);
    if (!kw) {
      top.nodes.push({ k: 'out', pipe: parsePipe(body) });
      continue;
    }
    if (kw[1] === 'end' || kw[1] === 'else') {
      if (!top.block) throw new GoTemplateError('PARSE', `unexpected {{${kw[1]}}}`);
      if (kw[1] === 'end') stack.pop();
      else if (top.inAlt) throw new GoTemplateError('PARSE', 'a second {{else}}');
      else stack[stack.length - 1] = { nodes: top.block.alt, block: top.block, inAlt: true };
      continue;
    }
    if (kw[2] === '') throw new GoTemplateError('PARSE', `missing value for ${kw[1]}`);
    if (/^\$\w*\s*(,\s*\$\w*\s*)?:=/.test(kw[2]!)) throw new GoTemplateError('PARSE', `variables are not supported: {{${body}}}`);
    const block: Block = { k: kw[1] as Block['k'], pipe: parsePipe(kw[2]!), body: [], alt: [] };
    top.nodes.push(block);
    stack.push({ nodes: block.body, block, inAlt: false });
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail) stack[stack.length - 1]!.nodes.push({ k: 'text', v: tail });
  if (stack.length > 1) throw new GoTemplateError('PARSE', `unexpected EOF: {{${stack[stack.length - 1]!.block!.k}}} has no {{end}}`);
  return root;
}

/** Header mode (the `table` row): each field names its column instead of giving a value. */
interface Header {
  /** The top-level names, checked outside blocks (inside range and with, the dot is something else). */
  fields?: ReadonlySet<string>;
  name(path: readonly string[]): string;
}

function field(dot: unknown, path: readonly string[], header?: Header): unknown {
  if (header && path.length > 0) {
    if (header.fields && !header.fields.has(path[0]!)) throw new GoTemplateError('EXEC', `can't evaluate field ${path[0]}: no such field`);
    return header.name(path);
  }
  let v = dot;
  for (const [i, name] of path.entries()) {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, name)) {
      throw new GoTemplateError('EXEC', `can't evaluate field ${name}${i > 0 ? ` in .${path.slice(0, i).join('.')}` : ''}: no such field`);
    }
    v = (v as Record<string, unknown>)[name];
  }
  return v;
}

/** A value as Go's fmt prints it with %v. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function printf(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%([-\d.]*)([sdvqt%])/g, (_, w: string, c: string) => {
    if (c === '%') return '%';
    const a = args[i++];
    const s = c === 'q' ? JSON.stringify(goString(a)) : goString(a);
    const width = Number.parseInt(w, 10);
    if (!Number.isFinite(width)) return s;
    return width < 0 ? s.padEnd(-width) : s.padStart(width);
  });
}

function call(name: string, args: unknown[]): unknown {
  const need = (n: number) => {
    if (args.length < n) throw new GoTemplateError('EXEC', `wrong number of args for ${name}: want ${n} got ${args.length}`);
  };
  switch (name) {
    case 'json': need(1); return JSON.stringify(args[0] ?? null);
    case 'upper': need(1); return goString(args[0]).toUpperCase();
    case 'lower': need(1); return goString(args[0]).toLowerCase();
    case 'title': need(1); return goString(args[0]).replace(/\b\w/g, (c) => c.toUpperCase());
    case 'len': need(1); return Array.isArray(args[0]) ? args[0].length : typeof args[0] === 'string' ? args[0].length : Object.keys(args[0] ?? {}).length;
    case 'join': need(2); return (Array.isArray(args[0]) ? args[0] : []).map(goString).join(goString(args[1]));
    case 'printf': need(1); return printf(goString(args[0]), args.slice(1));
    case 'truncate': need(2); return goString(args[0]).slice(0, Number(args[1]));
    case 'eq': need(2); return args.slice(1).some((a) => a === args[0]);
    case 'ne': need(2); return args[0] !== args[1];
    case 'not': need(1); return !truthy(args[0]);
    case 'index': {
      need(1);
      let v = args[0];
      for (const k of args.slice(1)) v = v === null || v === undefined ? undefined : (v as Record<string | number, unknown>)[k as string];
      return v;
    }
  }
  throw new GoTemplateError('EXEC', `function "${name}" not defined`);
}

function evalPipe(pipe: Pipe, dot: unknown, header?: Header): unknown {
  let prev: unknown[] = [];
  for (const cmd of pipe) {
    const vals = (a: readonly Arg[]) => a.map((x) => (x.k === 'field' ? field(dot, x.path, header) : x.k === 'fn' ? call(x.name, []) : x.v));
    const head = cmd[0]!;
    const r = head.k === 'fn' ? call(head.name, [...vals(cmd.slice(1)), ...prev]) : cmd.length === 1 && prev.length === 0 ? vals(cmd)[0]
      : (() => { throw new GoTemplateError('EXEC', `can't give arguments to a non-function value`); })();
    prev = [r];
  }
  return prev[0];
}

function run(nodes: readonly Node[], dot: unknown, out: string[], header?: Header): void {
  for (const n of nodes) {
    if (n.k === 'text') out.push(n.v);
    else if (n.k === 'out') out.push(goString(evalPipe(n.pipe, dot, header)));
    else if (header) run(n.body, dot, out, { name: header.name }); // the header row shows a block's body once
    else {
      const v = evalPipe(n.pipe, dot);
      if (n.k === 'if') run(truthy(v) ? n.body : n.alt, dot, out);
      else if (n.k === 'with') run(truthy(v) ? n.body : n.alt, truthy(v) ? v : dot, out);
      else {
        const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
        if (v !== null && v !== undefined && typeof v !== 'object') throw new GoTemplateError('EXEC', `range can't iterate over ${goString(v)}`);
        if (items.length === 0) run(n.alt, dot, out);
        for (const it of items) run(n.body, it, out);
      }
    }
  }
}

/** A parsed `--format`: `table` says whether a header row is printed. */
export interface FormatTemplate {
  table: boolean;
  render(dot: unknown, header?: Header): string;
}

/** podman's normalisation of a `--format` value, then the parse (a parse error is a GoTemplateError). */
export function compileFormat(format: string): FormatTemplate {
  let src = format === 'json' ? '{{json .}}' : format;
  const table = /^table(\s|$)/.test(src);
  if (table) src = src.replace(/^table\s*/, '');
  src = src.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  if (!src.endsWith('\n')) src += '\n';
  const nodes = parse(src);
  return { table, render: (dot, header) => { const out: string[] = []; run(nodes, dot, out, header); return out.join(''); } };
}

/** Align tab-separated columns as podman's tabwriter (min width 12, padding 2); the last cell of a line is not padded. */
export function alignTabs(text: string): string {
  const lines = text.split('\n');
  if (!lines.some((l) => l.includes('\t'))) return text;
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.slice(0, -1).forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(Math.max(12, widths[i]! + 2)) : c)).join('').trimEnd()).join('\n');
}

/** The default header of a field: `CreatedAt` → `CREATED AT`, with `overrides` (podman's `ID` → `IMAGE ID` and so on). */
function headerOf(name: string, overrides: Readonly<Record<string, string>>): string {
  return overrides[name] ?? name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

/**
 * Print `records` through a user's `--format`: the header row first for
 * `table …` (each field replaced by its header; `fields` are the top-level
 * names the records have, checked even when there are none), tabs aligned.
 * A parse or field error becomes one line and exit 125.
 */
export function printFormatted(format: string, records: readonly Record<string, unknown>[], fields: readonly string[], headers: Readonly<Record<string, string>> = {}): void {
  try {
    const t = compileFormat(format);
    let text = '';
    // the header pass also checks every field name, so a typo fails even when there are no records
    const header = t.render(undefined, { fields: new Set(fields), name: (path) => headerOf(path[path.length - 1]!, headers) });
    if (t.table) text += header;
    for (const r of records) text += t.render(r);
    process.stdout.write(alignTabs(text));
  } catch (err) {
    if (err instanceof GoTemplateError) throw new CliExit(ExitCode.RUNTIME, `template: ${err.message} (in --format ${JSON.stringify(format)})`);
    throw err;
  }
}

/** True when `format` is a Go template (or `json` / `table …`) rather than one of a command's own words. */
export function isGoTemplate(format: string): boolean {
  return format.includes('{{') || /^table\s/.test(format);
}
