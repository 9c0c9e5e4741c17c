/**
 * The sandbox process of one detached container (started by
 * `wasmvisor-runc create`, one per container): it creates the container
 * through the library with the bundle's root and module, serves the
 * control socket (start, pause, resume, kill, stats, exec), keeps `state.json`
 * current, and exits with the container's exit code (128+n for a signal),
 * which containerd's shim reaps as the container's own. A pod's sandbox
 * (pause) container is held without a kernel (pod_sandbox.ts).
 *
 * Run as `node sandbox_main.js '{"root":…,"id":…,"bundle":…}'`.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { writeTar } from '../../image/build/tar_writer.js';
import type { LayerTree } from '../../../kernel/fs/layer_tree.js';
import type { OciProcess } from '../config.js';
import type { Container } from '../container.js';
import type { ContainerProcess } from '../process.js';
import type { Runtime } from '../runtime.js';
import type { WaitResult } from '../status.js';
import { loadBundle, type Bundle } from './bundle.js';
import { onLines, reachableSocket, sendLine, type Addressed, type ControlReply, type ControlRequest, type ExecLine } from './control.js';
import { wireHostStdio } from './host_stdio.js';
import { imageLayers, type StoredImage } from './image_root.js';
import { logRecord, type LogTarget } from './log.js';
import type { LogFileSpec } from './log_file.js';
import { TimedLog } from './log_records.js';
import { PodMembers } from './pod_member.js';
import { PodSandbox } from './pod_sandbox.js';
import { AUTO_REMOVE, finishSandbox, type Served } from './served.js';
import { keepUpper, keptSeed } from './kept_upper.js';
import { findShim, publishOom, type ShimEvents } from './shim_events.js';
import { reportReady } from './spawn.js';
import { SandboxPorts } from './sandbox_ports.js';
import { LAYER_FILE } from './control.js';
import { RESTART_COUNT, RESTART_POLICY, parseRestartPolicy, shouldRestart } from './restart.js';
import { findExecModule, type TopProcess } from './exec_module.js';
import { DetachedError, OCI_VERSION, containerDir, pidStartTime, saveState, socketPath, type RuncState } from './state.js';
import { useMeteredCache } from '../metered_cache.js';
import { resolveStoreRoot } from '../../image/content/store_path.js';

/** What `create` passes to the sandbox process. */
export interface SandboxArgs {
  root: string;
  id: string;
  bundle: string;
  /** runc's --log and --log-format, for failures after create returned. */
  log?: LogTarget;
  /** Host path of the init module (`wasmvisor run -d FILE.wasm`), instead of `process.args[0]` in the bundle's root. */
  module?: string;
  /** false: the container's stdin stays open and unread instead of reading fd 0 (`run -d -i`). */
  stdin?: boolean;
  /** An image in a store whose layers are the root (`wasmvisor run -d IMAGE`). */
  image?: StoredImage;
  /** The container's stdout and stderr go to this capped log of timed records (`run -d`; log_records.ts) instead of fds 1 and 2 (containerd's shim's). */
  logFile?: LogFileSpec;
}

/** Signals sent to the sandbox process itself that become the container's (others keep Node's default). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** One WebAssembly container served by this process. */
class DetachedSandbox implements Served {
  private stopStdin: () => void = () => {};
  readonly inflight = new Set<Promise<void>>();
  /** The container's processes this sandbox started (init and execs), for `top`. */
  private readonly procs = new Map<number, TopProcess>();
  /** A kill came through the control socket or a signal to this process: a restart policy does not apply. */
  stoppedByUser = false;

  constructor(
    private readonly rt: Runtime,
    private c: Container,
    private readonly bundle: Bundle,
    private readonly dir: string,
    private readonly st: RuncState,
    private readonly readStdin: boolean,
    /** The image's layers, top first, when the root is an image's. */
    private readonly layers: LayerTree[] | null,
    /** The capped log that takes the init process's output, if not fds 1 and 2. */
    private readonly log: TimedLog | null,
    /** The containerd shim this container runs under, told of an OOM kill (shim_events.ts). */
    private readonly shim: ShimEvents | null,
    private readonly logTarget: LogTarget,
    /** A pod member's stdio (pod_member.ts), instead of this process's fds 0–2 or `log`. */
    private readonly wire?: (init: ContainerProcess) => () => void,
    /** A pod member's end (pod_member.ts), instead of this process's exit. */
    private readonly end?: (r: WaitResult) => Promise<void>,
  ) {}

  /** Save the state with `status` (the sandbox owns state.json). */
  private save(status: RuncState['status']): void {
    this.st.status = status;
    saveState(this.dir, this.st);
  }

  async handle(req: ControlRequest, sock: Socket): Promise<ControlReply | null> {
    switch (req.op) {
      case 'start':
        await this.c.start();
        this.stopStdin = this.wire ? this.wire(this.c.init) : wireHostStdio(this.c.init, this.readStdin, this.log ?? undefined);
        this.track(this.c.init.pid, this.bundle.config.process);
        this.save('running');
        return { ok: true };
      case 'pause':
        await this.c.pause();
        this.save('paused');
        return { ok: true };
      case 'resume':
        await this.c.resume();
        this.save('running');
        return { ok: true };
      case 'kill':
        this.stoppedByUser = true;
        await this.c.kill(req.signal);
        if (this.c.status.state === 'paused' || this.c.status.state === 'running') this.save(this.c.status.state);
        return { ok: true };
      case 'stats':
        return { ok: true, stats: await this.c.stats() };
      case 'diff':
        return { ok: true, diff: await this.c.diff() };
      case 'layer': {
        // commit's new layer: the upper as a tar, beside state.json (bounded as the upper is, by the memory limit)
        const path = join(this.dir, LAYER_FILE);
        writeFileSync(path, writeTar(await this.c.layer()), { mode: 0o600 });
        return { ok: true, path };
      }
      case 'annotate':
        this.st.annotations[req.key] = req.value;
        saveState(this.dir, this.st);
        return { ok: true };
      case 'top': {
        const live = new Set(await this.c.pids());
        return { ok: true, top: [...live].sort((a, b) => a - b).map((pid) => this.procs.get(pid) ?? { pid, args: [], user: '?', started: this.st.created }) };
      }
      case 'exec':
        await this.exec(req.process, req.relayPid, sock, req.module);
        return null;
      case 'stdin':
        this.attachStdin(sock);
        return null;
    }
  }

  /** Run an exec'd process, its stdio carried on `sock` (see control.ts). */
  private async exec(p: OciProcess, relayPid: number, sock: Socket, hostModule?: string): Promise<void> {
    const module = hostModule ?? await findExecModule(p, this.layers, this.bundle.rootfs);
    const proc = await this.c.exec({ module, process: p, stdin: 'pipe', capture: false });
    this.track(proc.pid, p);
    // the relay is one of the container's host processes while the exec runs (`ps` lists it)
    this.st.execPids = [...(this.st.execPids ?? []), relayPid];
    saveState(this.dir, this.st);
    void proc.wait().then(() => {
      this.st.execPids = this.st.execPids?.filter((x) => x !== relayPid);
      try {
        if (this.st.status !== 'stopped') saveState(this.dir, this.st);
      } catch {
        // deleted meanwhile (delete --force): nothing to record
      }
    });
    sendLine(sock, { ok: true, pid: proc.pid });
    const send = (l: ExecLine) => { if (!sock.destroyed) sendLine(sock, l); };
    proc.stdout.on((d) => send({ t: 'out', fd: 1, data: Buffer.from(d).toString('base64') }));
    proc.stderr.on((d) => send({ t: 'out', fd: 2, data: Buffer.from(d).toString('base64') }));
    onLines(sock, (m) => {
      const l = m as ExecLine;
      if (l.t === 'in') void proc.write(new Uint8Array(Buffer.from(l.data, 'base64'))).catch(() => {});
      else if (l.t === 'eof') void proc.closeStdin().catch(() => {});
      else if (l.t === 'signal') void this.c.killProcess(proc.pid, l.signal).catch(() => {});
    });
    // the relay is the exec's process to the host: if it dies (SIGKILL), so does the exec
    sock.once('close', () => { if (!proc.result) void this.c.killProcess(proc.pid, 'SIGKILL').catch(() => {}); });
    void proc.wait().then((r) => {
      send({ t: 'exit', code: r.exitCode });
      sock.end();
    });
  }

  /**
   * Carry `in`/`eof` lines from `sock` (attach, start -ai) to the init
   * process's stdin, in order; only when it was made with -i (its stdin
   * is open and read by no one else). A connection that closes without
   * `eof` leaves the stdin open, as a detached podman attach does.
   */
  private attachStdin(sock: Socket): void {
    if (this.readStdin) throw new Error('the container was not made with -i (--interactive): its stdin is closed');
    if (this.st.status !== 'running' && this.st.status !== 'paused') throw new Error(`the container is ${this.st.status}: its stdin takes input only while it runs`);
    sendLine(sock, { ok: true });
    let chain: Promise<unknown> = Promise.resolve();
    onLines(sock, (m) => {
      const l = m as ExecLine;
      const init = this.c.init;
      if (l.t === 'in') chain = chain.then(() => init.write(new Uint8Array(Buffer.from(l.data, 'base64')))).catch(() => {});
      else if (l.t === 'eof') chain = chain.then(() => init.closeStdin()).catch(() => {}).then(() => sock.end());
    });
  }

  /** Remember a started process for `top`. */
  private track(pid: number, p: OciProcess | undefined): void {
    this.procs.set(pid, { pid, args: p?.args ?? [], user: `${p?.user?.uid ?? 0}`, started: new Date().toISOString() });
  }

  /** The container ended and its policy runs it again: `c` is the fresh container, started here. */
  async again(c: Container, count: number): Promise<void> {
    this.stopStdin();
    this.c = c;
    this.procs.clear();
    this.st.annotations[RESTART_COUNT] = String(count);
    await this.handle({ op: 'start' }, null as unknown as Socket);
  }

  /** The container ended: record it, then exit with its code (a pod member: its `end`). */
  async finish(r: WaitResult): Promise<void> {
    this.stopStdin();
    if (r.oomKilled && this.shim) {
      const err = publishOom(this.shim, this.st.id);
      if (err) logRecord(this.logTarget, 'error', `container ${this.st.id} was OOM-killed; telling containerd failed: ${err}`);
    }
    // a container of wasmvisor's CLI (it has a log) keeps its writable layer until rm, for diff/cp/commit/export
    if (this.log && this.st.annotations[AUTO_REMOVE] !== 'true') await keepUpper(this.dir, this.c);
    return this.end ? this.end(r) : finishSandbox(this.dir, this.st, this, r.exitCode, () => this.rt.close());
  }
}

/** Serve control connections for `sb`. */
function serve(sb: Served, path: string): Promise<void> {
  const server = createServer((sock) => {
    sock.on('error', () => {});
    let first = true;
    onLines(sock, (m) => {
      if (!first) return; // exec stdio lines are read by the exec's own listener
      first = false;
      const answer = (reply: ControlReply) => new Promise<void>((res) => sock.end(`${JSON.stringify(reply)}\n`, () => res()));
      const req = m as Addressed;
      // a pod's sandbox process serves its containers too: `container` names the one a request is for
      const target = req.container === undefined ? sb : sb.route?.(req.container);
      const done = (req.op === 'join'
        ? sb.join?.(req) ?? Promise.reject(new DetachedError('UNSUPPORTED', 'this sandbox process holds no pod: no container can join it'))
        : target ? target.handle(req, sock) : Promise.reject(new DetachedError('NOT_FOUND', `container ${req.container} does not exist in this pod's sandbox process`))
      ).then(
        (reply) => (reply ? answer(reply) : undefined),
        (err: unknown) => answer({ ok: false, error: (err as Error).message ?? String(err), code: (err as { code?: string }).code }),
      );
      sb.inflight.add(done);
      void done.finally(() => sb.inflight.delete(done));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(reachableSocket(path), () => resolve());
  });
}

/** `root` with a kept writable layer to seed the upper from, if any. */
function withSeed(root: { layers?: LayerTree[]; hostPath?: string } | undefined, seed: LayerTree | undefined): { layers?: LayerTree[]; hostPath?: string } | undefined {
  return seed === undefined ? root : { ...root, layers: [seed, ...(root?.layers ?? [])] };
}

/** The sandbox process's main: create, report to `create` on fd 3, serve until the container ends. */
export async function sandboxMain(args: SandboxArgs): Promise<void> {
  let rt: Runtime | null = null;
  process.title = `wasmvisor-sandbox ${args.id}`;
  // a bug here must not write into the container's stderr: it goes to runc's log, and the container ends (255)
  process.on('uncaughtException', (err) => {
    logRecord(args.log ?? {}, 'error', `sandbox process of ${args.id}: ${err.stack ?? err.message}`);
    process.exit(255);
  });
  // metered modules rewritten once per store, not once per sandbox process
  useMeteredCache(args.image?.store ?? resolveStoreRoot());
  try {
    const bundle = loadBundle(args.bundle, args.module);
    const dir = containerDir(args.root, args.id);
    const st: RuncState = {
      ociVersion: OCI_VERSION, id: args.id, status: 'created', pid: process.pid, bundle: bundle.dir, rootfs: bundle.rootfs ?? '',
      created: new Date().toISOString(), owner: '', annotations: bundle.config.annotations ?? {}, pidStart: pidStartTime(process.pid),
    };
    let served: Served;
    if (bundle.modulePath === null) {
      const shim = findShim();
      const members = new PodMembers(args.root, args.id, (runtime, c, b, d, s, wire, end) => new DetachedSandbox(runtime, c, b, d, s, true, null, null, shim, args.log ?? {}, wire, end), bundle.config);
      const pod: PodSandbox = new PodSandbox(dir, st, (code) => { void finishSandbox(dir, st, pod, code, () => members.close()); }, members);
      for (const s of FORWARDED) process.on(s, () => { pod.signal(s); });
      served = pod;
    } else {
      const { Runtime } = await import('../runtime.js');
      // one warm app worker for the init, not replaced once taken (an exec starts its own): the sandbox's start-up and RSS
      const runtime = await Runtime.create({ poolSize: 1, refill: false });
      rt = runtime;
      const layers = args.image ? await imageLayers(args.image) : null;
      // an exited container started again: its kept writable layer is its new upper (seed_upper.ts)
      const seed = await keptSeed(containerDir(args.root, args.id));
      const modulePath = bundle.modulePath;
      // -p: bound before ready (a port in use fails create), recorded for port and ps
      const ports = await SandboxPorts.bind(bundle.config);
      if (ports) Object.assign(st.annotations, ports.annotations());
      let made = 0;
      // a restart (--restart) is a fresh container of the same config, under a new id in this Runtime
      const make = async () => runtime.create({
        id: made++ === 0 ? args.id : `${args.id}.${made}`, module: modulePath, config: bundle.config, rootfs: withSeed(layers ? { layers } : bundle.rootfs === null ? undefined : { hostPath: bundle.rootfs }, seed),
        stdin: 'pipe', capture: false, net: await ports?.next(),
      });
      let c = await make();
      const log = args.logFile ? new TimedLog(args.logFile) : null;
      const sb = new DetachedSandbox(rt, c, bundle, dir, st, args.stdin !== false, layers, log, findShim(), args.log ?? {});
      for (const s of FORWARDED) process.on(s, () => { sb.stoppedByUser = true; void c.kill(s).catch(() => {}); });
      const policy = parseRestartPolicy(bundle.config.annotations?.[RESTART_POLICY] ?? 'no') ?? { kind: 'no' };
      let restarts = 0;
      const onEnd = async (r: WaitResult): Promise<void> => {
        if (shouldRestart(policy, r.exitCode, restarts, sb.stoppedByUser)) {
          try {
            await c.delete().catch(() => {});
            c = await make();
            await sb.again(c, ++restarts);
            void c.wait().then(onEnd);
            return;
          } catch {
            // it cannot run again: it ends with the code it had
          }
        }
        await sb.finish(r);
      };
      void c.wait().then(onEnd);
      served = sb;
    }
    await serve(served, socketPath(dir));
    saveState(dir, st);
    reportReady({ ok: true });
  } catch (err) {
    reportReady({ ok: false, error: (err as Error).message ?? String(err) });
    if (rt) await Promise.race([rt.close(), new Promise((res) => setTimeout(res, 1000))]);
    process.exit(1);
  }
}
