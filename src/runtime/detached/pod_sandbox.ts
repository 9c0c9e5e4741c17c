/**
 * A Kubernetes pod's sandbox ("pause") container, held by the pod's
 * sandbox process: the pause container itself runs no module and has no
 * kernel: it only has a lifecycle. It runs once started, pauses and
 * resumes, and ends as `/pause` does: exit 0 on SIGTERM or SIGINT, 128+n
 * on other fatal signals. Exec is refused. The pod's other containers
 * join this process (`join`, pod_member.ts) and requests that name one
 * (`container`) are routed to it; when the process ends, they end too.
 */
import type { CgroupStats } from '../../sentry/control_plane.js';
import { canPause, canResume, canStart, requireState } from '../status.js';
import type { ControlReply, ControlRequest, JoinRequest } from './control.js';
import type { PodMembers } from './pod_member.js';
import { DetachedError, asStatus, saveState, type RuncState } from './state.js';
import type { Served } from './served.js';
import { signalNum } from './signals.js';

/** An idle pod sandbox; `end(code)` is called once when a signal ends it. */
export class PodSandbox implements Served {
  readonly inflight = new Set<Promise<void>>();
  private ended = false;

  constructor(
    private readonly dir: string, private readonly st: RuncState, private readonly end: (code: number) => void,
    /** The pod's containers. */
    private readonly members?: PodMembers,
  ) {}

  route(id: string): Served | undefined {
    return id === this.st.id ? this : this.members?.get(id);
  }

  join(req: JoinRequest): Promise<ControlReply> {
    if (!this.members || this.ended || this.st.status === 'stopped') return Promise.reject(new DetachedError('WRONG_STATE', `pod sandbox ${this.st.id} is ending: container ${req.id} cannot join it`));
    return this.members.join(req);
  }

  private move(guard: (s: ReturnType<typeof asStatus>) => boolean, op: string, to: 'running' | 'paused', hint: string): ControlReply {
    requireState(guard, asStatus(this.st), this.st.id, op, hint);
    this.st.status = to;
    saveState(this.dir, this.st);
    return { ok: true };
  }

  /** A signal: STOP and CONT pause and resume; TERM and INT end it with 0 (as /pause), others with 128+n. */
  signal(name: string): ControlReply {
    if (name === 'SIGSTOP') return this.st.status === 'running' ? this.move(canPause, 'pause', 'paused', '') : { ok: true };
    if (name === 'SIGCONT') return this.st.status === 'paused' ? this.move(canResume, 'resume', 'running', '') : { ok: true };
    if (name === 'SIGCHLD' || name === 'SIGWINCH' || name === 'SIGURG') return { ok: true }; // ignored by default
    if (!this.ended) this.end(name === 'SIGTERM' || name === 'SIGINT' ? 0 : 128 + (signalNum(name) ?? 0));
    this.ended = true;
    return { ok: true };
  }

  async handle(req: ControlRequest): Promise<ControlReply | null> {
    switch (req.op) {
      case 'start': return this.move(canStart, 'start', 'running', 'a container starts once: create another');
      case 'pause': return this.move(canPause, 'pause', 'paused', 'only a running container can be paused');
      case 'resume': return this.move(canResume, 'resume', 'running', 'only a paused container can be resumed');
      case 'kill': return this.signal(req.signal);
      case 'stats': {
        const stats: CgroupStats = {
          memoryCurrent: 0, memoryPeak: 0, memoryMax: null, memoryEvents: { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 },
          pidsCurrent: 0, pidsMax: null, syscalls: 0,
        };
        return { ok: true, stats };
      }
      case 'diff': return { ok: true, diff: [] };
      case 'top': return { ok: true, top: [] };
      case 'layer':
        throw new DetachedError('UNSUPPORTED', `container ${this.st.id} is a pod sandbox (pause): it has no filesystem to commit`);
      case 'annotate':
        this.st.annotations[req.key] = req.value;
        saveState(this.dir, this.st);
        return { ok: true };
      case 'exec':
        throw new DetachedError('UNSUPPORTED', `container ${this.st.id} is a pod sandbox (pause): it runs no program to exec into; exec into the pod's other containers`);
      default:
        throw new DetachedError('UNSUPPORTED', `container ${this.st.id} is a pod sandbox (pause): it has no process for ${(req as { op: string }).op}`);
    }
  }
}
