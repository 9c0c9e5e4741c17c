/**
 * The pids controller: pids.max and pids.current. A fork past pids.max —
 * this cgroup's or an ancestor's — is refused (`canAttach` false: EAGAIN).
 */
import { type CgroupContext, type ControlFile, type Controller, type ControllerType, formatLimit, parseLimit } from './controller.js';

/** One cgroup's pids controller. */
export class PidsController implements Controller {
  readonly name = 'pids';
  private maxPids: number | null = null;
  private readonly parent: PidsController | null;

  constructor(private readonly ctx: CgroupContext) {
    this.parent = ctx.parent instanceof PidsController ? ctx.parent : null;
  }

  /** pids.max (null: max). */
  get max(): number | null {
    return this.maxPids;
  }

  /** Live tasks of the cgroup and its descendants. */
  current(): number {
    return this.ctx.taskCount();
  }

  canAttach(): boolean {
    for (let p: PidsController | null = this; p !== null; p = p.parent) {
      if (p.maxPids !== null && p.current() >= p.maxPids) return false;
    }
    return true;
  }

  files(): readonly ControlFile[] {
    return [
      { name: 'pids.max', read: () => formatLimit(this.maxPids), write: (t) => { this.maxPids = parseLimit(t); } },
      { name: 'pids.current', read: () => `${this.current()}\n` },
    ];
  }

  stats(): Readonly<Record<string, number | null>> {
    return { current: this.current(), max: this.maxPids };
  }
}

/** The pids controller's registration. */
export const pidsController: ControllerType = { name: 'pids', create: (ctx) => new PidsController(ctx) };
