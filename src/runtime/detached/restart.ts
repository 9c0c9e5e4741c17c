/**
 * Restart policies of detached containers (`wasmvisor run -d --restart`):
 * the sandbox process reads the policy from the container's annotation and,
 * when the container's init ends, decides whether to run it again in a
 * fresh container of the same config (podman's `no`, `on-failure[:N]`,
 * `always`, `unless-stopped`). A stop or kill through the CLI marks the
 * container as stopped by the user first, so that it stays down.
 */

/** Annotation holding the `--restart` policy as given. */
export const RESTART_POLICY = 'org.wasmvisor.restart';

/** A parsed restart policy (`max`: most restarts for on-failure, 0 for no bound). */
export type RestartPolicy = { kind: 'no' } | { kind: 'on-failure'; max: number } | { kind: 'always' } | { kind: 'unless-stopped' };

/** Parse `no`, `on-failure[:N]`, `always`, `unless-stopped`; undefined if malformed. */
export function parseRestartPolicy(spec: string): RestartPolicy | undefined {
  if (spec === 'no' || spec === '') return { kind: 'no' };
  if (spec === 'always') return { kind: 'always' };
  if (spec === 'unless-stopped') return { kind: 'unless-stopped' };
  const m = /^on-failure(?::(\d+))?$/.exec(spec);
  if (m) return { kind: 'on-failure', max: m[1] === undefined ? 0 : Number(m[1]) };
  return undefined;
}

/** Whether a container whose init exited with `code`, restarted `count` times so far, runs again (`stopped`: the user stopped it). */
export function shouldRestart(p: RestartPolicy, code: number, count: number, stopped: boolean): boolean {
  if (stopped) return false;
  switch (p.kind) {
    case 'no': return false;
    case 'always':
    case 'unless-stopped': return true;
    case 'on-failure': return code !== 0 && (p.max === 0 || count < p.max);
  }
}

/** Annotation (in state.json) counting the restarts so far. */
export const RESTART_COUNT = 'org.wasmvisor.restart-count';
