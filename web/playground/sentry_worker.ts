/**
 * The playground's Sentry worker: the library's SentryCore (the same
 * kernel worker src/runtime/sentry_worker.ts starts) with the runtime's
 * container builder, plus the "see inside" calls of inspect.ts on its
 * containers (tree, file read and write, upper tar, syscall trace). The page
 * reaches them through the Sentry handle's comlink proxy
 * (`container.sentry.api`), typed as {@link PlaygroundApi}.
 */
import { expose } from 'comlink';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import type { SentryApi } from '../../src/sentry/control_plane.js';
import { SentryCore, SentryError } from '../../src/sentry/sentry_core.js';
import { messageChannelDefer } from '../../src/sentry/defer.js';
import { portableHost } from '../../src/host/browser_host.js';
import { KernelContainer } from '../../src/runtime/kernel_container.js';
import { containerTree, readPath, upperTar, writePath, Tracer, type TraceEntry, type TreeEntry } from './inspect.js';

/** The Sentry's control plane plus the playground's inspection calls. */
export interface PlaygroundApi extends SentryApi {
  tree(id: string): { entries: TreeEntry[]; more: number };
  readFile(id: string, path: string): Uint8Array;
  writeFile(id: string, path: string, data: Uint8Array): void;
  upperTar(id: string): Uint8Array;
  syscalls(id: string, since: number): { last: number; entries: TraceEntry[] };
  setSyscalls(id: string, on: boolean): void;
}

interface Held {
  kc: KernelContainer;
  tracer: Tracer;
}

/** Errors of inspection calls carry the kernel's errno name when there is one. */
function why(e: unknown): string {
  const err = e as { name?: string; message?: string; errno?: number };
  return err?.message || err?.name || String(e);
}

class PlaygroundCore extends SentryCore implements PlaygroundApi {
  private readonly held: Map<string, Held>;

  constructor(defer: (fn: () => void) => void, spinMax?: number, outputWindow?: number) {
    const held = new Map<string, Held>();
    const host = portableHost();
    super({
      host, defer, spinMax, outputWindow,
      createContainer: (h, id, spec, layers: ReadonlyMap<string, LayerTree>) => {
        const kc = new KernelContainer(h, id, spec, layers);
        held.set(id, { kc, tracer: new Tracer(kc.kernel.dispatcher, () => performance.now()) });
        const close = kc.close.bind(kc);
        kc.close = () => {
          held.delete(id);
          close();
        };
        return kc;
      },
    });
    this.held = held;
  }

  private kc(id: string): Held {
    const h = this.held.get(id);
    if (!h) throw new SentryError('ENOENT', `no container ${id} in this Sentry`);
    return h;
  }

  tree(id: string): { entries: TreeEntry[]; more: number } {
    const { kc } = this.kc(id);
    return containerTree(kc.ns, kc.upper, kc.built.lowers);
  }

  readFile(id: string, path: string): Uint8Array {
    try {
      return readPath(this.kc(id).kc.ns, path);
    } catch (e) {
      throw new SentryError('ENOENT', `cannot read ${path}: ${why(e)}`);
    }
  }

  writeFile(id: string, path: string, data: Uint8Array): void {
    const { kc } = this.kc(id);
    try {
      writePath(kc.ns, path, data);
    } catch (e) {
      throw new SentryError('EINVAL', `cannot write ${path}: ${why(e)}`);
    }
    kc.checkCgroup();
  }

  upperTar(id: string): Uint8Array {
    return upperTar(this.kc(id).kc.upper);
  }

  syscalls(id: string, since: number): { last: number; entries: TraceEntry[] } {
    return this.kc(id).tracer.since(since);
  }

  setSyscalls(id: string, on: boolean): void {
    this.kc(id).tracer.enabled = on;
  }
}

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void; __wasmvisorStart?: number };
// for the page's start-up milestones: when this script started (the build's banner) and when it was evaluated, in ms since the epoch
const booted = { start: scope.__wasmvisorStart, evaluated: performance.timeOrigin + performance.now(), called: 0 };
scope.onmessage = (e) => {
  scope.onmessage = null;
  booted.called = performance.timeOrigin + performance.now();
  scope.postMessage({ wasmvisorBoot: booted });
  const d = e.data as { port: MessagePort; spinMax?: number; outputWindow?: number };
  expose(new PlaygroundCore(messageChannelDefer(), d.spinMax, d.outputWindow), d.port);
};
