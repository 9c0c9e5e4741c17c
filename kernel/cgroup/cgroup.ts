/**
 * A cgroup: one instance of every registered controller (registry.ts), the
 * tasks that belong to it, and its place in a hierarchy. A child's
 * controllers see their parent's (`CgroupContext.parent`): charges go up
 * the tree and an ancestor's limit binds, so a pod or tenant cgroup caps
 * the containers under it. Limits are set as their control files are
 * written (`settings`, e.g. `{ 'memory.max': '33554432' }`), which is how
 * OCI `linux.resources` maps onto them.
 */
import { E } from '../errno.js';
import { type CgroupPolicy, type ControlFile, type Controller, type ControllerType, OK, type Verdict } from './controller.js';
import { registeredControllers } from './registry.js';

/** How a cgroup is made. */
export interface CgroupOptions {
  /** Pids of its own live tasks (cgroup.procs). */
  procs: () => readonly number[];
  /** The parent cgroup; absent: a root. */
  parent?: Cgroup;
  /** Control file values to apply, by file name (`pids.max`: `max` or a number). */
  settings?: Readonly<Record<string, string>>;
  /** Cgroup-wide policy; default: files charged without refusal (`oom-kill`). */
  policy?: CgroupPolicy;
  /** The controllers to make; default: the registered ones. */
  types?: readonly ControllerType[];
}

/** One cgroup and its controllers. */
export class Cgroup {
  /** Its controllers by name, in cgroup.controllers order. */
  readonly controllers: ReadonlyMap<string, Controller>;
  readonly parent: Cgroup | null;
  private readonly children = new Set<Cgroup>();
  private readonly procs: () => readonly number[];

  constructor(opts: CgroupOptions) {
    this.procs = opts.procs;
    this.parent = opts.parent ?? null;
    const policy = opts.policy ?? this.parent?.policy ?? { fileLimit: 'oom-kill' };
    this.policy = policy;
    const ctls = new Map<string, Controller>();
    for (const t of opts.types ?? registeredControllers()) {
      ctls.set(t.name, t.create({
        procs: () => this.procs(),
        taskCount: () => this.taskCount(),
        parent: this.parent?.controllers.get(t.name) ?? null,
        policy,
      }));
    }
    this.controllers = ctls;
    for (const [name, text] of Object.entries(opts.settings ?? {})) this.set(name, text);
    this.parent?.children.add(this);
  }

  /** Cgroup-wide policy its controllers follow. */
  readonly policy: CgroupPolicy;

  /** The controller called `name`, typed by the caller (`cg.controller<MemoryController>('memory')`). */
  controller<T extends Controller>(name: string): T | undefined {
    return this.controllers.get(name) as T | undefined;
  }

  /** Write control file `name` (E.NOENT: no such file; E.ACCES: read-only; E.INVAL: bad value). */
  set(name: string, text: string): void {
    // a controller's files are named after it (memory.max): only its list is made
    const owner = this.controllers.get(name.slice(0, name.indexOf('.')));
    const f = owner?.files().find((x) => x.name === name) ?? this.files().find((x) => x.name === name);
    if (f === undefined) throw E.NOENT;
    if (f.write === undefined) throw E.ACCES;
    f.write(text);
  }

  /** Live tasks of this cgroup and its descendants. */
  taskCount(): number {
    let n = this.procs().length;
    for (const c of this.children) n += c.taskCount();
    return n;
  }

  /** The cgroup is gone: it leaves its parent, and each controller gives back to the ancestors what it still held. Idempotent. */
  remove(): void {
    if (this.parent === null || !this.parent.children.has(this)) return;
    this.parent.children.delete(this);
    for (const c of this.controllers.values()) c.remove?.();
  }

  /** Every file cgroupfs shows, in order: cgroup.controllers, cgroup.procs, then each controller's. */
  files(): ControlFile[] {
    const out: ControlFile[] = [
      { name: 'cgroup.controllers', read: () => `${[...this.controllers.keys()].join(' ')}\n` },
      { name: 'cgroup.procs', read: () => this.procs().map((p) => `${p}\n`).join('') },
    ];
    for (const c of this.controllers.values()) out.push(...c.files());
    return out;
  }

  /** The name of a controller that refuses one more task (pids.max), or null. */
  refusesAttach(): string | null {
    for (const c of this.controllers.values()) if (c.canAttach !== undefined && !c.canAttach()) return c.name;
    return null;
  }

  /** Task `pid` joined. */
  attach(pid: number): void {
    for (const c of this.controllers.values()) c.attach?.(pid);
  }

  /** Task `pid` is gone: every controller uncharges it. */
  detach(pid: number): void {
    for (const c of this.controllers.values()) c.detach?.(pid);
  }

  /** Charge `amount` to controller `name` for task `pid`; its verdict (OK without such a controller). */
  charge(name: string, pid: number, amount: number, kind?: string): Verdict {
    return this.controllers.get(name)?.charge?.(pid, amount, kind) ?? OK;
  }

  /** Every controller's re-check; the first verdict that is not OK. */
  check(): Verdict {
    for (const c of this.controllers.values()) {
      const v = c.check?.() ?? OK;
      if (v.kind !== 'ok') return v;
    }
    return OK;
  }

  /** Every controller's figures, flat: `memory.current`, `pids.max`, `memory.events.oom_kill`, … */
  stats(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const c of this.controllers.values()) {
      for (const [k, v] of Object.entries(c.stats())) out[`${c.name}.${k}`] = v;
    }
    return out;
  }
}
