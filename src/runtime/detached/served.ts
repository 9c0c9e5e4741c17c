/**
 * What a sandbox process serves on its control socket, whichever kind of
 * container it holds (a WebAssembly container, or a pod's idle sandbox),
 * and how it ends: the state saved as stopped, replies in flight written,
 * then exit with the container's code. A container made with the
 * annotation `AUTO_REMOVE` (`wasmvisor run -d --rm`) removes its directory
 * instead.
 */
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ControlReply, ControlRequest, JoinRequest } from './control.js';
import { saveState, socketPath, type RuncState } from './state.js';

/** Annotation (value `true`) by which a sandbox process removes its container's directory when the container ends. */
export const AUTO_REMOVE = 'org.wasmvisor.autoremove';

/** One container's operations, as the control server calls them. */
export interface Served {
  /** Act on one control request; null when the reply was sent already (exec keeps the connection). */
  handle(req: ControlRequest, sock: Socket): Promise<ControlReply | null>;
  /** Control replies not yet written: the process waits for them before it exits. */
  readonly inflight: Set<Promise<void>>;
  /** A pod's sandbox: the member container `id` that a request naming it is for (pod_member.ts). */
  route?(id: string): Served | undefined;
  /** A pod's sandbox: create a member container (pod_standin.ts). */
  join?(req: JoinRequest): Promise<ControlReply>;
}

/** Resolve after `p`, or after 2 s. */
function within(p: Promise<unknown>): Promise<unknown> {
  return Promise.race([p, new Promise((res) => setTimeout(res, 2000))]);
}

/**
 * The container ended with `code`: save `stopped`, answer the requests in
 * flight (a kill's reply) before `close` stops anything they need, then
 * exit the process with `code`.
 */
export async function finishSandbox(dir: string, st: RuncState, served: Served, code: number, close: () => Promise<void>): Promise<never> {
  try {
    st.status = 'stopped';
    st.exitCode = code;
    st.finished = new Date().toISOString();
    if (st.annotations[AUTO_REMOVE] === 'true') rmSync(dir, { recursive: true, force: true });
    else {
      saveState(dir, st);
      rmSync(socketPath(dir), { force: true });
    }
  } catch {
    // the state directory was deleted (delete --force): nothing to record
  }
  await within(Promise.allSettled([...served.inflight]));
  await within(close());
  process.exit(code);
}
