/**
 * A Kubernetes pod's sandbox ("pause") container held by a stand-in
 * process instead of a Node sandbox process: it runs no module and has no
 * kernel, so all it needs is a process that containerd's shim can watch
 * (its `--pid-file`, reaped as the container's exit) and signal. The
 * stand-in is Debian's essential perl running a three-statement loop
 * (about 1 MiB PSS, against about 11 MiB for an idle Node process): it
 * sleeps until a signal ends it, with 0 on SIGTERM or SIGINT as `/pause`
 * does, and dies of any other fatal signal (128+n to the shim).
 *
 * It has no control socket: the lifecycle operations act on it directly
 * (`standInRequest`, called by DetachedContainer.ask when the state says
 * `standIn`): start and the pause/resume pair only change `state.json`
 * (resume and pause also send SIGCONT/SIGSTOP), kill signals the process,
 * exec is refused, stats are zero.
 */
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import type { CgroupStats } from '../../sentry/control_plane.js';
import { canPause, canResume, canStart, requireState, ContainerError } from '../status.js';
import type { Bundle } from './bundle.js';
import type { ControlReply, ControlRequest } from './control.js';
import { signalNum } from './signals.js';
import { DetachedError, OCI_VERSION, asStatus, containerDir, loadState, pidStartTime, saveState, type RuncState } from './state.js';

/** The stand-in's program: titled as sandbox processes are, exit 0 on TERM and INT, else sleep (other signals keep their default action). */
const PAUSE_PL = '$0 = shift; $SIG{TERM} = $SIG{INT} = sub { exit 0 }; sleep 86400 while 1;';

/** The stand-in's executable (perl is essential on Debian). */
export const STANDIN_PERL = process.env.WASMVISOR_PERL ?? 'perl';

/**
 * Start the stand-in of pod sandbox `id` (its state directory made) with
 * fds 0–2 `stdio`, in its own session when `detached`; writes `state.json`
 * (created). Resolves once it runs; CONTROL if it could not be started.
 */
export async function startPodStandIn(
  root: string, id: string, bundle: Bundle, stdio: ReadonlyArray<IOType | number>, detached: boolean,
): Promise<ChildProcess> {
  const child = spawn(STANDIN_PERL, ['-e', PAUSE_PL, `wasmvisor-sandbox ${id}`], { stdio: [...stdio], detached });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new DetachedError('CONTROL', `cannot start the pod sandbox's stand-in (${STANDIN_PERL}): ${err.message}`)));
  });
  const st: RuncState = {
    ociVersion: OCI_VERSION, id, status: 'created', pid: child.pid!, bundle: bundle.dir, rootfs: bundle.rootfs ?? '',
    created: new Date().toISOString(), owner: '', annotations: bundle.config.annotations ?? {}, pidStart: pidStartTime(child.pid!),
    standIn: true,
  };
  saveState(containerDir(root, id), st);
  if (detached) child.unref();
  return child;
}

function move(root: string, st: RuncState, guard: (s: ReturnType<typeof asStatus>) => boolean, op: string, to: 'running' | 'paused', hint: string): void {
  try {
    requireState(guard, asStatus(st), st.id, op, hint);
  } catch (err) {
    if (err instanceof ContainerError) throw new DetachedError('WRONG_STATE', err.message);
    throw err;
  }
  st.status = to;
  saveState(containerDir(root, st.id), st);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ended meanwhile: its state reads stopped
  }
}

/** Act on `req` for the stand-in-held pod sandbox `id` under `root`, as its sandbox process would. */
export function standInRequest(root: string, id: string, req: ControlRequest): ControlReply & { ok: true } {
  const st = loadState(root, id);
  switch (req.op) {
    case 'start':
      move(root, st, canStart, 'start', 'running', 'a container starts once: create another');
      return { ok: true };
    case 'pause':
      move(root, st, canPause, 'pause', 'paused', 'only a running container can be paused');
      signal(st.pid, 'SIGSTOP');
      return { ok: true };
    case 'resume':
      move(root, st, canResume, 'resume', 'running', 'only a paused container can be resumed');
      signal(st.pid, 'SIGCONT');
      return { ok: true };
    case 'kill': {
      const sig = req.signal as NodeJS.Signals;
      if (sig === 'SIGSTOP' || sig === 'SIGCONT') return standInRequest(root, id, { op: sig === 'SIGSTOP' ? 'pause' : 'resume' });
      if (signalNum(sig) === undefined) throw new DetachedError('BAD_ARG', `unknown signal ${req.signal}`);
      if (st.status === 'paused') signal(st.pid, 'SIGCONT'); // a stopped process would hold the signal
      signal(st.pid, sig);
      return { ok: true };
    }
    case 'stats': {
      const stats: CgroupStats = {
        memoryCurrent: 0, memoryPeak: 0, memoryMax: null, memoryEvents: { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 },
        pidsCurrent: 0, pidsMax: null, syscalls: 0,
      };
      return { ok: true, stats };
    }
    default:
      throw new DetachedError('UNSUPPORTED', `container ${id} is a pod sandbox (pause): it runs no program to ${req.op === 'exec' ? 'exec into; exec into the pod\'s other containers' : req.op}`);
  }
}
