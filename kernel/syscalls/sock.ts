/**
 * sock_accept, sock_recv, sock_send, sock_shutdown on the socket files of
 * kernel/fs/socket.ts (preopened listeners of published ports and the
 * connections accepted from them). A bad fd is EBADF before anything else
 * (wasi-testsuite c/sock_shutdown-invalid_fd), any other file ENOTSOCK.
 */
import type { RecvArgs, RecvResult, SendArgs } from '../abi/calls_misc.js';
import { Rights, SdFlags } from '../abi/wasi.js';
import { E } from '../errno.js';
import type { Task } from '../task/task.js';
import { FileType, type OpenFile } from '../vfs/types.js';

/** What a socket file adds to OpenFile. */
export interface SocketOps {
  /** Take the oldest connection as a new file, installed by `install` (which may throw EMFILE: the connection stays pending). */
  accept(fdflags: number, install: (f: OpenFile) => number): number;
  recv(max: number, riflags: number): RecvResult;
  send(data: Uint8Array, siflags: number): number;
  shutdown(how: number): void;
}

function socketOf(task: Task, fd: number, right: number): SocketOps {
  const f = task.fds.get(fd).desc.file;
  if (f.filetype !== FileType.SOCKET_STREAM || typeof (f as Partial<SocketOps>).recv !== 'function') throw E.NOTSOCK;
  task.fds.get(fd, right);
  return f as unknown as SocketOps;
}

/** `sock_accept`: a new fd for an incoming connection. */
export function sock_accept(task: Task, a: { fd: number; flags: number }): number {
  const s = socketOf(task, a.fd, Rights.SOCK_ACCEPT);
  if (a.flags & ~0x4) throw E.INVAL; // only NONBLOCK
  const e = task.fds.get(a.fd);
  return s.accept(a.flags, (f) => task.fds.insert(f, e.rightsInheriting, e.rightsInheriting));
}

/** `sock_recv`. */
export function sock_recv(task: Task, a: RecvArgs): RecvResult {
  return socketOf(task, a.fd, Rights.FD_READ).recv(a.max, a.riflags);
}

/** `sock_send`. */
export function sock_send(task: Task, a: SendArgs): number {
  return socketOf(task, a.fd, Rights.FD_WRITE).send(a.data, a.siflags);
}

/** `sock_shutdown`: `how` must be RD, WR or both (EINVAL otherwise). */
export function sock_shutdown(task: Task, a: { fd: number; how: number }): void {
  const s = socketOf(task, a.fd, Rights.SOCK_SHUTDOWN);
  if (a.how === 0 || (a.how & ~(SdFlags.RD | SdFlags.WR)) !== 0) throw E.INVAL;
  s.shutdown(a.how);
}
