/**
 * The containers of a Kubernetes pod inside the pod's sandbox process
 * (pod_standin.ts says how they join): one Runtime (one Sentry) for the
 * pod, made at the first container; each container its own cgroup and
 * mount namespace in it, and its own app worker per process, so one
 * container's crash or OOM kill does not end the others. Each member is
 * served as a container's own sandbox process serves it (`make`), with
 * its stdio the stand-in's fds 0–2 (reopened through /proc) and its end
 * told through the stand-in's fifo.
 */
import { closeSync, constants, createReadStream, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { nodeConsoleSink } from '../../host/node_host.js';
import type { OciConfig } from '../config.js';
import type { Container } from '../container.js';
import type { GroupResources } from '../group.js';
import type { ContainerProcess } from '../process.js';
import type { Runtime } from '../runtime.js';
import { cgroupParentOf } from '../testing_spec.js';
import type { WaitResult } from '../status.js';
import { loadBundle, type Bundle } from './bundle.js';
import type { ControlReply, JoinRequest } from './control.js';
import type { Served } from './served.js';
import { SandboxPorts } from './sandbox_ports.js';
import { DetachedError, OCI_VERSION, containerDir, pidAlive, pidStartTime, saveState, type RuncState } from './state.js';

/** A member as the pod serves it: its control operations, and `finish` once its container ended. */
export interface Member extends Served {
  finish(r: WaitResult): Promise<void>;
}

/** How the pod's sandbox process serves one container (sandbox_process.ts builds it as for a container of its own). */
export type MemberFactory = (
  rt: Runtime, c: Container, bundle: Bundle, dir: string, st: RuncState, wire: (init: ContainerProcess) => () => void, end: (r: WaitResult) => Promise<void>,
) => Member;

/** The container's stdio, reopened from the stand-in's fds 0–2. */
interface Stdio {
  fds: number[];
  input: Readable;
  /** `input` closes fds[0] itself (a pipe's libuv handle owns it). */
  ownsInput: boolean;
}

/** Close the container's stdio, each fd once. */
function closeStdio(io: Stdio): void {
  io.input.destroy();
  for (const [i, fd] of io.fds.entries()) {
    if (i === 0 && io.ownsInput) continue;
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
  }
}

/** Open the stand-in's fd `n` anew (its own file description: nothing the stand-in does moves our offset or flags). */
function reopen(pid: number, n: number, write: boolean): number {
  const path = `/proc/${pid}/fd/${n}`;
  const s = statSync(path);
  if (s.isSocket()) throw new DetachedError('UNSUPPORTED', `the container's fd ${n} is a socket, which a pod's sandbox cannot reopen: give it pipes, fifos or files`);
  // a regular file is appended to (never truncated); a pipe is opened as a pipe end of its own
  return openSync(path, write ? constants.O_WRONLY | (s.isFile() ? constants.O_APPEND : 0) : constants.O_RDONLY);
}

function openStdio(pid: number): Stdio {
  const fds: number[] = [];
  try {
    for (const [n, w] of [[0, false], [1, true], [2, true]] as const) fds.push(reopen(pid, n, w));
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    if (err instanceof DetachedError) throw err;
    throw new DetachedError('CONTROL', `cannot open the stdio of stand-in ${pid}: ${(err as Error).message.split('\n')[0]}`);
  }
  // a pipe is read through libuv's pipe handle (non-blocking); a file or /dev/null through the thread pool, which never waits long on those
  const fifo = fstatSync(fds[0]!).isFIFO();
  const input = fifo ? new Socket({ fd: fds[0]!, readable: true, writable: false }) : createReadStream('', { fd: fds[0]!, autoClose: false });
  input.on('error', () => {});
  input.pause();
  return { fds, input, ownsInput: fifo };
}

/** Forward `proc`'s output to the fds and the input to its stdin (one chunk in flight at a time); returns what stops reading. */
function wire(io: Stdio, proc: ContainerProcess): () => void {
  const out = nodeConsoleSink(io.fds[1]!);
  const err = nodeConsoleSink(io.fds[2]!);
  proc.stdout.on((d) => { try { out.write(d); } catch { /* the reader went away: dropped, as on a closed pipe */ } });
  proc.stderr.on((d) => { try { err.write(d); } catch { /* likewise */ } });
  const input = io.input;
  input.on('data', (chunk: Buffer) => {
    input.pause();
    proc.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice()).then(() => input.resume(), () => {});
  });
  const eof = () => { void proc.closeStdin().catch(() => {}); };
  input.once('end', eof);
  input.once('error', eof);
  input.resume();
  return () => { input.removeAllListeners('data'); input.pause(); };
}

/** Open the fifo's writer end once stand-in `pid` has opened its reader (bounded: 10 s, and only while it lives). */
async function openFifo(path: string, pid: number): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENXIO') throw new DetachedError('CONTROL', `cannot open the exit fifo ${path}: ${(err as Error).message}`);
    }
    if (!pidAlive(pid) || Date.now() > end) throw new DetachedError('CONTROL', `the stand-in ${pid} did not open its exit fifo ${path}: it may have exited`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The containers of one pod, served by its sandbox process. */
export class PodMembers {
  private rt: Promise<Runtime> | null = null;
  private readonly members = new Map<string, Member>();
  /** Parent cgroups made in the pod's Sentry. */
  private readonly groups = new Set<string>();

  constructor(
    private readonly root: string, private readonly pod: string, private readonly make: MemberFactory,
    /** The pod sandbox container's config: its cgroupsPath's parent is the pod's cgroup, its resources that cgroup's limits. */
    private readonly podConfig: OciConfig = {},
  ) {}

  /**
   * The pod's cgroup (issue 11): CRI puts each container of a pod at
   * `CGROUP_PARENT/ID`, so the parent of a member's cgroupsPath is the
   * pod's cgroup. It is made in the pod's Sentry at the first member that
   * names it (its ancestors without limits), with the limits of the pod
   * sandbox container's resources when the sandbox names the same parent;
   * the member's cgroup nests under it, and the pod's limits bind the sum.
   */
  private async podGroup(rt: Runtime, config: OciConfig): Promise<void> {
    const parent = cgroupParentOf(config.linux?.cgroupsPath);
    if (parent === undefined) return;
    const parts = parent.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (this.groups.has(path)) continue;
      await rt.createGroup(path, path === parent && cgroupParentOf(this.podConfig.linux?.cgroupsPath) === parent ? podLimits(this.podConfig) : {});
      this.groups.add(path);
    }
  }

  /** Member `id`, if the pod serves it. */
  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  /**
   * The pod's Runtime: one Sentry for all its containers, started at the
   * first. One warm app worker, for the first container's init, is not
   * replaced once taken: an idle worker is a Node isolate (9-11 MiB more
   * RSS in every pod, measured on a pod of wasm/pause.wasm members), and
   * later containers start their own.
   */
  private runtime(): Promise<Runtime> {
    this.rt ??= import('../runtime.js').then(({ Runtime }) => Runtime.create({ poolSize: 1, refill: false }));
    return this.rt;
  }

  /** Create the container `req` asks for (created, waiting for start); its state directory was made by `create`. */
  async join(req: JoinRequest): Promise<ControlReply> {
    if (this.members.has(req.id)) throw new DetachedError('EXISTS', `container with id ${req.id} exists already in pod ${this.pod}`);
    const bundle = loadBundle(req.bundle);
    if (bundle.modulePath === null) throw new DetachedError('BAD_BUNDLE', `container ${req.id} is a pod sandbox: it cannot join pod ${this.pod}`);
    const dir = containerDir(this.root, req.id);
    const rt = await this.runtime();
    await this.podGroup(rt, bundle.config);
    // the container's listeners (io.wasmvisor.publish[.NAME]; CRI passes pod annotations with pod_annotations): bound in
    // the pod's network namespace, which this process is in, so the pod IP (or the node's, host network) reaches them;
    // bound after the stdio opened: a member whose stdio cannot be reopened runs in a sandbox process of its own, which binds them
    const io = openStdio(req.standIn);
    let ports: SandboxPorts | null = null;
    let status = -1;
    let c: Container | null = null;
    try {
      ports = await SandboxPorts.bind(bundle.config);
      status = await openFifo(req.fifo, req.standIn);
      c = await rt.create({
        id: req.id, module: bundle.modulePath, config: bundle.config, rootfs: bundle.rootfs === null ? undefined : { hostPath: bundle.rootfs },
        stdin: 'pipe', capture: false, net: await ports?.next(),
      });
    } catch (err) {
      closeStdio(io);
      if (status >= 0) closeSync(status);
      await ports?.dispose();
      throw err;
    }
    const container = c;
    const bound = ports;
    const st: RuncState = {
      ociVersion: OCI_VERSION, id: req.id, status: 'created', pid: req.standIn, bundle: bundle.dir, rootfs: bundle.rootfs ?? '',
      created: new Date().toISOString(), owner: '', annotations: { ...bundle.config.annotations, ...bound?.annotations() }, pidStart: pidStartTime(req.standIn), pod: this.pod,
    };
    const end = async (r: WaitResult): Promise<void> => {
      this.members.delete(req.id);
      closeStdio(io); // the output is written (synchronously): close it before the stand-in exits
      await bound?.dispose().catch(() => {});
      try {
        st.status = 'stopped';
        st.exitCode = r.exitCode;
        st.finished = new Date().toISOString();
        saveState(dir, st);
      } catch {
        // deleted meanwhile: nothing to record
      }
      try {
        writeSync(status, `${r.exitCode}\n`);
      } catch {
        // the stand-in is gone (killed): nobody to tell
      }
      closeSync(status);
      await container.delete().catch(() => {});
    };
    const m = this.make(rt, container, bundle, dir, st, (p) => wire(io, p), end);
    this.members.set(req.id, m);
    saveState(dir, st);
    void container.wait().then((r) => m.finish(r));
    return { ok: true };
  }

  /** Stop the pod's Runtime (the process is ending: the stand-ins see their fifos close and exit 137). */
  async close(): Promise<void> {
    if (this.rt) await (await this.rt).close();
  }
}

/** The limits of the pod's cgroup: the pod sandbox container's memory, pids and cpu resources. */
function podLimits(config: OciConfig): GroupResources {
  const r = config.linux?.resources;
  const out: GroupResources = {};
  if (r?.memory?.limit !== undefined && r.memory.limit > 0) out.memory = r.memory.limit;
  if (r?.pids?.limit !== undefined && r.pids.limit > 0) out.pids = r.pids.limit;
  if (r?.cpu?.quota !== undefined && r.cpu.quota > 0) out.cpu = { quota: r.cpu.quota, period: r.cpu.period };
  return out;
}
