/**
 * The container config's carriers of issue 12's switches and issue 11's
 * parent cgroups: annotation org.wasmvisor.testing (round trip, every
 * field checked with one clear message) and linux.cgroupsPath → parent.
 */
import { describe, expect, it } from 'vitest';
import { toContainerSpec } from '../../src/runtime/config.js';
import { cgroupParentOf, TESTING_ANNOTATION, testingAnnotation, testingSpecOf } from '../../src/runtime/testing_spec.js';
import { runConfig } from '../../src/runtime/run_config.js';

describe('testing annotation', () => {
  it('round-trips through runConfig and toContainerSpec', () => {
    const testing = { clock: { realtimeNs: 1704067200000000000n, monotonicNs: 5n, stepNs: 1000n }, seed: 7, faults: [{ call: 'path_open', errno: 'ENOENT', nth: 2 }], trace: true };
    const { config } = runConfig({ argv0: 'x.wasm', testing });
    expect(config.annotations?.[TESTING_ANNOTATION]).toBe(testingAnnotation(testing));
    expect(toContainerSpec(config).testing).toEqual(testing);
    expect(toContainerSpec(runConfig({ argv0: 'x.wasm' }).config).testing).toBeUndefined();
  });

  it('refuses a bad field with one message naming it', () => {
    expect(() => testingSpecOf('{')).toThrow(/org.wasmvisor.testing: not JSON/);
    expect(() => testingSpecOf('{"seed":1.5}')).toThrow(/seed 1.5 must be an integer/);
    expect(() => testingSpecOf('{"clock":{"realtimeNs":12}}')).toThrow(/clock.realtimeNs must be a whole number of ns as a string/);
    expect(() => testingSpecOf('{"faults":[{"call":"path_open","short":1}]}')).toThrow(/short applies to reads and writes/);
    expect(() => testingSpecOf('{"trace":"yes"}')).toThrow(/trace must be true or false/);
  });
});

describe('cgroupsPath → parent cgroup', () => {
  it('maps OCI and systemd forms; a path with no parent or odd names has none', () => {
    expect(cgroupParentOf('pod123/ctr1')).toBe('pod123');
    expect(cgroupParentOf('/tenant/pod/ctr')).toBe('tenant/pod');
    expect(cgroupParentOf('kubepods-pod1.slice:cri-containerd:abc')).toBe('kubepods-pod1.slice');
    expect(cgroupParentOf('ctr')).toBeUndefined();
    expect(cgroupParentOf('/ctr')).toBeUndefined();
    expect(cgroupParentOf('a b/ctr')).toBeUndefined();
    expect(cgroupParentOf(undefined)).toBeUndefined();
    expect(toContainerSpec({ linux: { cgroupsPath: 'pod9/c' } }).cgroupParent).toBe('pod9');
    expect(runConfig({ argv0: 'x.wasm', cgroupParent: 'pod9' }).config.linux?.cgroupsPath).toBe('pod9/x.wasm');
  });
});
