/**
 * Reading the host's stdin with a timeout, for `poll_oneoff` on the inline
 * platform. Node has no synchronous poll(2), and `fs.readSync(0)` blocks
 * until data whatever the timeout (a helper thread blocked in read(2) would
 * also hold up process exit). So a read with a timeout on a pipe, FIFO or
 * terminal uses a second, non-blocking open file description of the same
 * stdin (`/proc/self/fd/0` with O_NONBLOCK; fd 0's own flags, shared with the
 * parent shell, are left alone) and sleeps between attempts (1 ms, then
 * growing to 10 ms: no spinning). Regular files never block and are read
 * directly. A socket cannot be reopened: there a helper thread takes over
 * stdin for good, reading it with libuv's non-blocking stream (never a
 * blocking read(2), which would hold up process exit) into a
 * SharedArrayBuffer the caller waits on with `Atomics.wait(timeout)`.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

// node:worker_threads is loaded when a socket stdin needs the helper thread, not at start-up
let load: NodeJS.Require | undefined;

const CHUNK = 65536;
const EMPTY = 0;
const FULL = 1;

// CommonJS source of the socket helper (eval'd: no file to resolve under dist/ or vitest).
// ctl[0]: EMPTY/FULL, ctl[1]: byte count of the chunk (0 = EOF).
const HELPER = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const ctl = new Int32Array(workerData.sab, 0, 4);
const data = new Uint8Array(workerData.sab, 16);
const queue = [];
let ended = false;
let waiting = false;
const sock = new net.Socket({ fd: workerData.fd, readable: true, writable: false });
function deliver() {
  while (Atomics.load(ctl, 0) === ${EMPTY} && (queue.length > 0 || ended)) {
    if (queue.length === 0) { Atomics.store(ctl, 1, 0); Atomics.store(ctl, 0, ${FULL}); Atomics.notify(ctl, 0); break; }
    const head = queue[0];
    const n = Math.min(head.length, data.length);
    data.set(head.subarray(0, n));
    if (n < head.length) queue[0] = head.subarray(n); else queue.shift();
    Atomics.store(ctl, 1, n);
    Atomics.store(ctl, 0, ${FULL});
    Atomics.notify(ctl, 0);
  }
  // wait for the reader to take the slot while data or EOF is still to be delivered
  if ((queue.length > 0 || ended) && !waiting) {
    waiting = true;
    Atomics.waitAsync(ctl, 0, ${FULL}).value.then(() => { waiting = false; deliver(); });
  }
  if (queue.length === 0 && !ended) sock.resume();
}
sock.on('data', (d) => { queue.push(d); sock.pause(); deliver(); });
sock.on('end', () => { ended = true; deliver(); });
sock.on('error', () => { ended = true; deliver(); });
`;

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/** Stdin reads with an optional timeout. */
export class TimedStdinReader {
  private nbFd: number | null | undefined = undefined; // undefined: not tried yet; null: impossible
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private sab: SharedArrayBuffer | null = null;
  private worker: Worker | null = null;

  constructor(private readonly fd: number, private readonly direct: (buf: Uint8Array) => number) {}

  /** Read a chunk: bytes, empty at EOF, or null if nothing arrived within `timeoutNs`. */
  read(max: number, timeoutNs: bigint | null): Uint8Array | null {
    if (this.worker !== null) return this.fromHelper(timeoutNs);
    const buf = new Uint8Array(Math.max(1, Math.min(max, CHUNK)));
    if (timeoutNs === null) return buf.subarray(0, this.direct(buf));
    const nb = this.nonBlockingFd();
    if (nb === null) {
      if (!this.isSocket()) return buf.subarray(0, this.direct(buf));
      this.startHelper();
      return this.fromHelper(timeoutNs);
    }
    const deadline = process.hrtime.bigint() + timeoutNs;
    let nap = 1;
    for (;;) {
      try {
        return buf.subarray(0, readSync(nb, buf, 0, buf.byteLength, null));
      } catch (err) {
        const code = errCode(err);
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') return buf.subarray(0, 0);
      }
      const left = Number(deadline - process.hrtime.bigint()) / 1e6;
      if (left <= 0) return null;
      Atomics.wait(this.cell, 0, 0, Math.min(nap, left));
      nap = Math.min(nap * 2, 10);
    }
  }

  /**
   * Close the non-blocking descriptor. A socket helper thread is left
   * running (unref'd): stopping it would close the host's fd 0 under it
   * (libuv closes a stream's fd on destroy). Known limit: a later run in the
   * same process that also inherits a socket stdin competes with it.
   */
  close(): void {
    if (typeof this.nbFd === 'number') {
      try {
        closeSync(this.nbFd);
      } catch {
        // already closed
      }
    }
    this.nbFd = null;
  }

  private isSocket(): boolean {
    try {
      return fstatSync(this.fd).isSocket();
    } catch {
      return false;
    }
  }

  private startHelper(): void {
    this.sab = new SharedArrayBuffer(16 + CHUNK);
    const { Worker: WorkerThread } = (load ??= createRequire(import.meta.url))('node:worker_threads') as typeof import('node:worker_threads');
    this.worker = new WorkerThread(HELPER, { eval: true, workerData: { sab: this.sab, fd: this.fd } });
    this.worker.unref();
  }

  private fromHelper(timeoutNs: bigint | null): Uint8Array | null {
    const ctl = new Int32Array(this.sab!, 0, 4);
    if (Atomics.load(ctl, 0) !== FULL) {
      const ms = timeoutNs === null ? Infinity : Number(timeoutNs) / 1e6;
      Atomics.wait(ctl, 0, EMPTY, ms);
      if (Atomics.load(ctl, 0) !== FULL) return null;
    }
    const n = Atomics.load(ctl, 1);
    const out = new Uint8Array(this.sab!, 16, n).slice();
    if (n > 0) {
      Atomics.store(ctl, 0, EMPTY);
      Atomics.notify(ctl, 0);
    }
    return out; // at EOF the state stays FULL with n = 0: every later read sees EOF
  }

  private nonBlockingFd(): number | null {
    if (this.nbFd !== undefined) return this.nbFd;
    this.nbFd = null;
    try {
      const st = fstatSync(this.fd);
      if (st.isFIFO() || st.isCharacterDevice()) {
        this.nbFd = openSync(`/proc/self/fd/${this.fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
      }
    } catch {
      this.nbFd = null;
    }
    return this.nbFd;
  }
}
