/**
 * A container's determinism switches and fault rules (`TestingSpec`) in its
 * OCI config: one annotation, `org.wasmvisor.testing`, holding JSON. That
 * is how `--clock/--seed/--inject` reach the Sentry (sentry platform), a
 * detached sandbox (`run -d`) and a container made by `create` and started
 * later: the saved config.json carries them. `toContainerSpec` reads it
 * back (`testingSpecOf`) and checks every field. Isomorphic.
 */
import { faultHook, FaultRuleError, type FaultRule } from '../../kernel/syscalls/faults.js';
import type { TestingSpec } from '../sentry/control_plane.js';
import { ContainerError } from './status.js';

/** The annotation that carries a TestingSpec, as JSON (ns as decimal strings). */
export const TESTING_ANNOTATION = 'org.wasmvisor.testing';

/** The annotation's JSON shape. */
interface TestingJson {
  clock?: { realtimeNs: string; monotonicNs?: string; stepNs?: string };
  seed?: number;
  faults?: FaultRule[];
  trace?: boolean;
}

/** `spec` as the annotation's text. */
export function testingAnnotation(spec: TestingSpec): string {
  const j: TestingJson = {};
  if (spec.clock !== undefined) j.clock = { realtimeNs: String(spec.clock.realtimeNs), monotonicNs: String(spec.clock.monotonicNs), stepNs: String(spec.clock.stepNs) };
  if (spec.seed !== undefined) j.seed = spec.seed;
  if (spec.faults !== undefined && spec.faults.length > 0) j.faults = spec.faults;
  if (spec.trace === true) j.trace = true;
  return JSON.stringify(j);
}

function bad(msg: string): never {
  throw new ContainerError('INVALID_CONFIG', `config.json: annotation ${TESTING_ANNOTATION}: ${msg}`);
}

function ns(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) bad(`${what} must be a whole number of ns as a string`);
  return BigInt(v);
}

/** The annotation's text as a checked TestingSpec (ContainerError INVALID_CONFIG naming what is wrong). */
export function testingSpecOf(text: string): TestingSpec {
  let j: TestingJson;
  try {
    j = JSON.parse(text) as TestingJson;
  } catch {
    bad('not JSON');
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) bad('give an object');
  const spec: TestingSpec = {};
  if (j.clock !== undefined) {
    const c = j.clock;
    spec.clock = { realtimeNs: ns(c.realtimeNs, 'clock.realtimeNs'), monotonicNs: c.monotonicNs === undefined ? 0n : ns(c.monotonicNs, 'clock.monotonicNs'), stepNs: c.stepNs === undefined ? 0n : ns(c.stepNs, 'clock.stepNs') };
  }
  if (j.seed !== undefined) {
    if (!Number.isSafeInteger(j.seed)) bad(`seed ${String(j.seed)} must be an integer`);
    spec.seed = j.seed;
  }
  if (j.faults !== undefined) {
    if (!Array.isArray(j.faults) || j.faults.length > 1000) bad('faults must be a list of at most 1000 rules');
    try {
      faultHook(j.faults);
    } catch (e) {
      if (e instanceof FaultRuleError) bad(e.message);
      throw e;
    }
    spec.faults = j.faults;
  }
  if (j.trace !== undefined) {
    if (typeof j.trace !== 'boolean') bad('trace must be true or false');
    spec.trace = j.trace;
  }
  return spec;
}

/**
 * The parent cgroup an OCI `linux.cgroupsPath` names: "pod123/ctr1" →
 * "pod123", "/tenant/pod/ctr" → "tenant/pod", systemd's "slice:prefix:name"
 * → "slice"; undefined for a path with no parent, or one whose names are
 * not plain (it is then ignored, as before cgroup parents existed).
 */
export function cgroupParentOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const p = path.replace(/^\/+|\/+$/g, '');
  const systemd = /^([^/:]+):[^/:]*:[^/:]+$/.exec(p);
  const parent = systemd !== null ? systemd[1]! : p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : undefined;
  return parent !== undefined && /^[A-Za-z0-9_.:@-]{1,128}(\/[A-Za-z0-9_.:@-]{1,128}){0,15}$/.test(parent) ? parent : undefined;
}
