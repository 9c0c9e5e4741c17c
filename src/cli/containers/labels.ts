/**
 * What `run`/`create` record on a container beyond runc's state, in its
 * annotations: its labels (`-l KEY=VALUE`, one JSON annotation) and its
 * restart policy (`--restart`, read by its sandbox process).
 */
import type { RuncState } from '../../runtime/detached/state.js';
import { RESTART_POLICY, parseRestartPolicy } from '../../runtime/detached/restart.js';
import { CliExit, ExitCode } from '../exit.js';

/** Annotation holding the container's labels as a JSON object. */
export const LABELS = 'org.wasmvisor.labels';

/** `-l KEY=VALUE` (or `KEY`, an empty value) as the labels annotation. */
export function labelAnnotations(specs: readonly string[]): Record<string, string> {
  if (specs.length === 0) return {};
  const labels: Record<string, string> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    const key = eq < 0 ? s : s.slice(0, eq);
    if (key === '') throw new CliExit(ExitCode.RUNTIME, `invalid label ${JSON.stringify(s)}: expected KEY=VALUE`);
    labels[key] = eq < 0 ? '' : s.slice(eq + 1);
  }
  return { [LABELS]: JSON.stringify(labels) };
}

/** A container's labels (empty if none). */
export function labelsOf(st: RuncState): Record<string, string> {
  try {
    return JSON.parse(st.annotations[LABELS] ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

/** `--restart POLICY` as the annotation its sandbox process reads; 125 for a bad policy, or one without a detached container. */
export function restartAnnotations(spec: string | undefined, detached: boolean): Record<string, string> {
  if (spec === undefined) return {};
  const policy = parseRestartPolicy(spec);
  if (policy === undefined) throw new CliExit(ExitCode.RUNTIME, `invalid --restart ${JSON.stringify(spec)}: use no, on-failure[:N], always or unless-stopped`);
  if (policy.kind === 'no') return {};
  if (!detached) throw new CliExit(ExitCode.RUNTIME, '--restart applies to detached containers: add -d (or use create and start)');
  return { [RESTART_POLICY]: spec };
}
