/**
 * Stages of a multi-stage Containerfile, as buildah reads them: each FROM
 * (`FROM [--platform=wasip1/wasm] IMAGE|STAGE [AS NAME]`) starts a stage;
 * `COPY --from=STAGE|INDEX|IMAGE` names an earlier stage by name (case
 * does not matter) or index, or an image. Only the stages the target (the
 * last stage, or `--target NAME`) needs are built, as buildah's
 * --skip-unused-stages does. Also the flags of COPY and ADD.
 */
import { BuildError, substitute, words, type Instruction } from './containerfile.js';

/** One stage: its FROM, the instructions after it, where it is. */
export interface StageSpec {
  index: number;
  /** Lower-cased `AS` name, if any. */
  name?: string;
  /** What the stage starts from: `scratch`, an earlier stage's name, or an image reference. */
  base: string;
  from: Instruction;
  body: Instruction[];
}

/** Split the instructions from the first FROM on into stages; `vars` are the ARGs before the first FROM. */
export function splitStages(steps: readonly Instruction[], vars: ReadonlyMap<string, string>): StageSpec[] {
  const out: StageSpec[] = [];
  for (const ins of steps) {
    if (ins.keyword !== 'FROM') {
      out[out.length - 1]!.body.push(ins);
      continue;
    }
    const where = `line ${ins.line}: ${ins.text}`;
    let ws = words(substitute(ins.args, vars, where), where);
    while (ws[0]?.startsWith('--')) {
      const f = ws.shift()!;
      if (/^--platform=/.test(f)) {
        if (f !== '--platform=wasip1/wasm') throw new BuildError('UNSUPPORTED', `${where}: ${f}: only wasip1/wasm stages are built`);
      } else throw new BuildError('UNSUPPORTED', `${where}: FROM ${f} is not supported (FROM [--platform=wasip1/wasm] IMAGE [AS NAME])`);
    }
    let name: string | undefined;
    if (ws.length === 3 && ws[1]!.toLowerCase() === 'as') {
      name = ws[2]!.toLowerCase();
      if (!/^[a-z][a-z0-9_.-]*$/.test(name)) throw new BuildError('SYNTAX', `${where}: stage name ${ws[2]} must start with a letter (letters, digits, _ . -)`);
      if (out.some((s) => s.name === name)) throw new BuildError('STAGE', `${where}: a stage named ${name} exists already (line ${out.find((s) => s.name === name)!.from.line})`);
      ws = [ws[0]!];
    }
    if (ws.length !== 1) throw new BuildError('SYNTAX', `${where}: needs FROM IMAGE [AS NAME]`);
    out.push({ index: out.length, name, base: ws[0]!, from: ins, body: [] });
  }
  return out;
}

/**
 * The earlier stage `ref` names (a name or an index) from stage `at`;
 * undefined when it names none (an image then). A later stage, or the
 * stage itself, is an error.
 */
export function stageRef(stages: readonly StageSpec[], ref: string, at: number, where: string): StageSpec | undefined {
  const hit = /^\d+$/.test(ref) ? stages[Number(ref)] : stages.find((s) => s.name === ref.toLowerCase());
  if (/^\d+$/.test(ref) && hit === undefined) throw new BuildError('STAGE', `${where}: there is no stage ${ref} (stages are numbered from 0; this file has ${stages.length})`);
  if (hit === undefined) return undefined;
  if (hit.index === at) throw new BuildError('STAGE', `${where}: ${ref} is this stage itself: name an earlier stage`);
  if (hit.index > at) throw new BuildError('STAGE', `${where}: stage ${ref} comes after this one (line ${hit.from.line}): name an earlier stage`);
  return hit;
}

/** The flags of COPY and ADD. */
export interface CopyFlags {
  from?: string;
  chown?: string;
  /** Permission bits for every copied file and directory. */
  chmod?: number;
}

/** Take the leading `--from=`, `--chown=`, `--chmod=` flags off `ws` (COPY or ADD's words). */
export function copyFlags(ws: string[], keyword: string, where: string): CopyFlags {
  const f: CopyFlags = {};
  while (ws[0]?.startsWith('--')) {
    const w = ws.shift()!;
    const m = /^--(from|chown|chmod)=(.+)$/.exec(w);
    if (!m) throw new BuildError('UNSUPPORTED', `${where}: ${w} is not supported (${keyword} takes ${keyword === 'COPY' ? '--from=STAGE, ' : ''}--chown=USER[:GROUP] and --chmod=OCTAL)`);
    if (m[1] === 'from') {
      if (keyword !== 'COPY') throw new BuildError('UNSUPPORTED', `${where}: ADD has no --from: use COPY --from`);
      f.from = m[2]!;
    } else if (m[1] === 'chown') {
      if (!/^[^:]+(:[^:]+)?$/.test(m[2]!)) throw new BuildError('SYNTAX', `${where}: ${w}: give --chown=USER[:GROUP], each a name or a numeric id`);
      f.chown = m[2]!;
    } else {
      if (!/^[0-7]{1,4}$/.test(m[2]!)) throw new BuildError('SYNTAX', `${where}: ${w}: give --chmod=OCTAL, e.g. --chmod=755`);
      f.chmod = parseInt(m[2]!, 8);
    }
  }
  return f;
}

/** The stages stage `target` needs (itself, its FROM stage and COPY --from stages, transitively). */
export function neededStages(stages: readonly StageSpec[], target: number, vars: ReadonlyMap<string, string>): Set<number> {
  const need = new Set<number>();
  const visit = (i: number): void => {
    if (need.has(i)) return;
    need.add(i);
    const s = stages[i]!;
    const refs = [s.base];
    for (const ins of s.body) {
      if (ins.keyword !== 'COPY') continue;
      try {
        for (const w of words(substitute(ins.args, vars, ''), '')) {
          if (!w.startsWith('--')) break;
          if (w.startsWith('--from=')) refs.push(w.slice(7));
        }
      } catch {
        // reported when the step runs
      }
    }
    for (const r of refs) {
      const hit = /^\d+$/.test(r) ? stages[Number(r)] : stages.find((x) => x.name === r.toLowerCase());
      if (hit !== undefined && hit.index < i) visit(hit.index);
    }
  };
  visit(target);
  return need;
}
