/**
 * The run form's fields that become OCI config: the seccomp profile
 * (`linux.seccomp`; presets fill the text field, which takes any OCI
 * profile as JSON) and the published ports (the page's /ports/CTRPORT/).
 * Bad input is one line in the status, nothing is started.
 */
import { defaultProfile } from '../../kernel/seccomp/default_profile.js';
import type { SeccompProfile } from '../../kernel/seccomp/profile.js';

/** Profiles the preset list offers (Linux call names, as podman's profiles; WASI names work too). */
export const SECCOMP_PRESETS: Record<string, () => SeccompProfile> = {
  default: defaultProfile,
  'deny-mkdir': () => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }),
  'deny-unlink': () => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unlink', 'unlinkat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }),
  'kill-mkdir': () => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] }),
};

/** Bad input in the run form. */
export class RunFormError extends Error {
  readonly code = 'BAD_FIELD';
  constructor(message: string) {
    super(message);
    this.name = 'RunFormError';
  }
}

/** Fill `text` from the preset picked in `select`. */
export function wireSeccompPresets(select: HTMLSelectElement, text: HTMLTextAreaElement): void {
  select.addEventListener('change', () => {
    const p = SECCOMP_PRESETS[select.value];
    text.value = p ? JSON.stringify(p()) : '';
  });
}

/** The profile in the text field (undefined: none); the runtime checks its fields. */
export function seccompOf(text: string): SeccompProfile | undefined {
  if (text.trim() === '') return undefined;
  if (text.length > 1 << 20) throw new RunFormError('seccomp: the profile is over 1 MiB');
  try {
    return JSON.parse(text) as SeccompProfile;
  } catch (e) {
    throw new RunFormError(`seccomp: the profile is not JSON (${(e as Error).message}): give an OCI profile such as {"defaultAction":"SCMP_ACT_ALLOW"}`);
  }
}

/** At most this many published ports per container. */
export const MAX_PORTS = 16;

/** The ports in the field ("8080 9090" or "8080,9090"), each 1-65535, no repeats. */
export function portsOf(text: string): number[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length > MAX_PORTS) throw new RunFormError(`ports: at most ${MAX_PORTS}`);
  const out: number[] = [];
  for (const w of words) {
    const p = Number(w.replace(/\/tcp$/, ''));
    if (!/^\d+(\/tcp)?$/.test(w) || !(p >= 1 && p <= 65535)) throw new RunFormError(`ports: ${JSON.stringify(w)} is not a TCP port (1-65535)`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}
