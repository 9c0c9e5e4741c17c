/**
 * The guest's side of published ports, isomorphic (both platforms, and the
 * browser): a net namespace over the host's listeners and one preopened
 * listener fd each, numbered after stdio and the preopened directories,
 * with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_FDS_START in the environment.
 */
import { RIGHTS_SOCKET } from '../../kernel/abi/wasi.js';
import { SocketListenerFile } from '../../kernel/fs/socket.js';
import { NetNamespace } from '../../kernel/fs/socket_ns.js';
import type { SpaceAccount } from '../../kernel/fs/tmpfs_data.js';
import type { HostNet } from '../../kernel/host.js';
import type { Task } from '../../kernel/task/task.js';

/**
 * Give `task` (not yet run) one preopened listener per host listener (the
 * lowest free fds) and the LISTEN_* variables; the namespace charges
 * buffered bytes to `account`.
 */
export function installListeners(task: Task, net: HostNet, listeners: readonly { id: number; name: string }[], account: SpaceAccount | null): NetNamespace {
  const ns = new NetNamespace(net, account);
  const ls = ns.addListeners(listeners);
  const fds = ls.map((l) => task.fds.insert(new SocketListenerFile(l, task.host.realtimeNs()), RIGHTS_SOCKET, RIGHTS_SOCKET));
  if (fds.length > 0) {
    // the task has not run yet: its environment is still being made
    (task.env as string[]).push(`LISTEN_FDS=${fds.length}`, `LISTEN_FDNAMES=${ls.map((l) => l.name).join(':')}`, `LISTEN_FDS_START=${fds[0]}`);
  }
  return ns;
}
