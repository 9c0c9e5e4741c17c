/**
 * `wasmvisor inspect CONTAINER`: a container as podman's inspect shows it
 * (Id, Name, Created, Path, Args, State{Status, Running, Paused, ExitCode,
 * StartedAt, FinishedAt, Pid, OOMKilled, ...}, Image, ImageName, Config,
 * Mounts, HostConfig, ...), built from its state.json and config.json. The
 * same document feeds `inspect -f` templates.
 */
import type { OciConfig } from '../../runtime/config.js';
import type { RuncState } from '../../runtime/detached/state.js';
import { RESTART_COUNT, RESTART_POLICY, parseRestartPolicy } from '../../runtime/detached/restart.js';
import { AUTO_REMOVE } from '../../runtime/detached/served.js';
import { stoppedExitCode } from '../../runtime/lifecycle/wait.js';
import { FOREGROUND } from './foreground.js';
import { labelsOf, LABELS } from './labels.js';
import { Annotation, nameOf } from './store.js';

/** Go's zero time, as podman prints a time that never happened. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The inspect document of container `st` with config `config`. */
export function inspectContainer(st: RuncState, config: OciConfig): Record<string, unknown> {
  const args = config.process?.args ?? [];
  const stateWord = st.status === 'stopped' ? 'exited' : st.status;
  const policy = parseRestartPolicy(config.annotations?.[RESTART_POLICY] ?? 'no') ?? { kind: 'no' };
  const mounts = (config.mounts ?? []).filter((m) => m.type === 'bind' || (m.options ?? []).includes('bind') || (m.options ?? []).includes('rbind') || m.type === 'none');
  const annotations = Object.fromEntries(Object.entries(config.annotations ?? {}).filter(([k]) => k !== LABELS && k !== FOREGROUND));
  const image = st.annotations[Annotation.IMAGE] ?? '';
  return {
    Id: st.id,
    Created: st.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      OciVersion: st.ociVersion,
      Status: stateWord,
      Running: st.status === 'running',
      Paused: st.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: st.pid,
      ExitCode: st.status === 'stopped' ? stoppedExitCode(st) : 0,
      Error: '',
      StartedAt: st.status === 'created' ? ZERO_TIME : st.created,
      FinishedAt: st.finished ?? ZERO_TIME,
    },
    Image: image,
    ImageName: image,
    Rootfs: config.root?.path ?? '',
    Name: nameOf(st),
    RestartCount: Number(st.annotations[RESTART_COUNT] ?? 0),
    Driver: 'overlay',
    Platform: 'wasip1',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    Mounts: mounts.map((m) => ({
      Type: 'bind', Source: m.source ?? '', Destination: m.destination, Driver: '', Mode: '',
      Options: (m.options ?? []).filter((o) => o !== 'ro' && o !== 'rw'), RW: !(m.options ?? []).includes('ro'), Propagation: 'rprivate',
    })),
    Config: {
      Hostname: config.hostname ?? '',
      User: `${config.process?.user?.uid ?? 0}:${config.process?.user?.gid ?? 0}`,
      Env: config.process?.env ?? [],
      Cmd: args,
      Image: image,
      Volumes: null,
      WorkingDir: config.process?.cwd ?? '/',
      Entrypoint: [],
      Labels: labelsOf(st),
      Annotations: annotations,
      StopSignal: 'SIGTERM',
      Tty: false,
      OpenStdin: false,
    },
    HostConfig: {
      Memory: config.linux?.resources?.memory?.limit ?? 0,
      PidsLimit: config.linux?.resources?.pids?.limit ?? 0,
      RestartPolicy: { Name: policy.kind === 'no' ? '' : policy.kind, MaximumRetryCount: policy.kind === 'on-failure' ? policy.max : 0 },
      AutoRemove: st.annotations[AUTO_REMOVE] === 'true',
      ReadonlyRootfs: config.root?.readonly === true,
      Binds: mounts.map((m) => `${m.source}:${m.destination}${(m.options ?? []).includes('ro') ? ':ro' : ''}`),
      Tmpfs: Object.fromEntries((config.mounts ?? []).filter((m) => m.type === 'tmpfs').map((m) => [m.destination, (m.options ?? []).join(',')])),
      Runtime: 'wasmvisor',
    },
    NetworkSettings: {},
    IsInfra: false,
  };
}
