/**
 * Containerfile (Dockerfile) syntax: lines joined at a trailing `\`,
 * comments, instructions with their arguments, `$VAR` / `${VAR}` /
 * `${VAR:-default}` / `${VAR:+alt}` substitution, quoted word splitting and
 * the JSON (exec) form. Semantics live in build.ts.
 */

/** Stable codes of {@link BuildError}. */
export type BuildErrorCode = 'SYNTAX' | 'UNSUPPORTED' | 'CONTEXT' | 'RUN' | 'BASE' | 'STAGE';

/** A build that cannot go on; the message names the step and what to change. */
export class BuildError extends Error {
  constructor(readonly code: BuildErrorCode, message: string, readonly exitCode = 125) {
    super(message);
    this.name = 'BuildError';
  }
}

/** One instruction: its keyword (upper case), the raw argument text, and where it was. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
  /** The instruction as written (one line), for messages and history. */
  text: string;
}

/** Split a Containerfile into instructions. */
export function parseContainerfile(src: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = src.replace(/\r\n/g, '\n').split('\n');
  let acc = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.trim();
    if (acc === '' && (t === '' || t.startsWith('#'))) continue;
    if (acc !== '' && t.startsWith('#')) continue; // comments inside a continued instruction
    if (acc === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      acc += raw.replace(/\\\s*$/, '') + ' ';
      continue;
    }
    acc += raw;
    const m = /^\s*([A-Za-z]+)(\s+([\s\S]*))?$/.exec(acc);
    if (!m) throw new BuildError('SYNTAX', `line ${start}: ${JSON.stringify(acc.trim())} is not an instruction (KEYWORD arguments)`);
    out.push({ keyword: m[1]!.toUpperCase(), args: (m[3] ?? '').trim(), line: start, text: `${m[1]!.toUpperCase()} ${(m[3] ?? '').trim()}`.trim() });
    acc = '';
  }
  if (acc.trim() !== '') throw new BuildError('SYNTAX', `line ${start}: the file ends inside a continued line (a trailing \\)`);
  return out;
}

/** Replace `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` from `vars`; `\$` is a literal `$`. */
export function substitute(s: string, vars: ReadonlyMap<string, string>, where: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) throw new BuildError('SYNTAX', `${where}: unterminated \${ in ${JSON.stringify(s)}`);
      const body = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/.exec(body);
      if (!m) throw new BuildError('SYNTAX', `${where}: bad substitution \${${body}}`);
      const v = vars.get(m[1]!);
      if (m[2] === '-') out += v !== undefined && v !== '' ? v : m[3]!;
      else if (m[2] === '+') out += v !== undefined && v !== '' ? m[3]! : '';
      else out += v ?? '';
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}

/** Split on blanks as a shell splits words: '…' literal, "…" with \" and \\, \ escapes outside quotes. */
export function words(s: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new BuildError('SYNTAX', `${where}: unterminated ' in ${JSON.stringify(s)}`);
      cur += s.slice(i + 1, end);
      has = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new BuildError('SYNTAX', `${where}: unterminated " in ${JSON.stringify(s)}`);
      has = true;
      i = j;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** The JSON (exec) form `["a", "b"]`, or undefined if `s` is not one. */
export function execForm(s: string, where: string): string[] | undefined {
  if (!s.trim().startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw new BuildError('SYNTAX', `${where}: ${s} is not a JSON array of strings (exec form), e.g. ["/app.wasm", "--flag"]`);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new BuildError('SYNTAX', `${where}: ${s} is not a JSON array of strings`);
  return v as string[];
}

/** `K=V K2="v 2"` pairs (ENV, LABEL), or the legacy `ENV K V…` form when `legacy`. */
export function keyValues(s: string, where: string, legacy: boolean): [string, string][] {
  const ws = words(s, where);
  if (ws.length === 0) throw new BuildError('SYNTAX', `${where}: needs KEY=VALUE`);
  if (legacy && !ws[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(s.trim());
    if (!m) throw new BuildError('SYNTAX', `${where}: needs KEY=VALUE or KEY VALUE`);
    return [[m[1]!, m[2]!]];
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new BuildError('SYNTAX', `${where}: ${JSON.stringify(w)} is not KEY=VALUE`);
    return [w.slice(0, i), w.slice(i + 1)] as [string, string];
  });
}
