/**
 * Published ports, as podman spells them: `-p [IP:][HOSTPORT:]CTRPORT[/tcp]`
 * (no HOSTPORT: the host picks a free one) and `-P` (the image's
 * ExposedPorts, each on a free host port). `openPorts` binds them all on the
 * host before the container starts, or none: on failure what was bound is
 * closed again and a `PortError` says which port and why. The container
 * gets one preopened listener per port (`installPorts`), numbered after the
 * preopened directories, with `LISTEN_FDS`, `LISTEN_FDNAMES` and
 * `LISTEN_FDS_START` in its environment. The bound ports ride in the
 * container's annotation `PORTS_ANNOTATION` for `port` and `ps`.
 */
import type { NetNamespace } from '../../kernel/fs/socket_ns.js';
import type { SpaceAccount } from '../../kernel/fs/tmpfs_data.js';
import type { HostNet } from '../../kernel/host.js';
import type { Task } from '../../kernel/task/task.js';
import type { NetSpec } from '../sentry/control_plane.js';
import { NodeNet, NodeNetError } from '../host/node_net.js';
import { installListeners } from './port_listeners.js';

/** Annotation holding the JSON list of a container's bound ports. */
export const PORTS_ANNOTATION = 'io.wasmvisor.ports';

/**
 * Annotation of an OCI config asking for published ports: `-p` specs
 * separated by commas (`8080:80,127.0.0.1::7/tcp`). The sandbox process
 * binds them before it reports ready (`wasmvisor run -d`, and bundles run
 * by wasmvisor-runc, where it is the way to give a guest listeners, as
 * wasmtime's --tcplisten does).
 */
export const PUBLISH_ANNOTATION = 'io.wasmvisor.publish';

/**
 * The PUBLISH_ANNOTATION value that applies to a container with these
 * annotations: `io.wasmvisor.publish.NAME` for the container that CRI names
 * NAME (Kubernetes passes only pod annotations, which every container of
 * the pod sees), else `io.wasmvisor.publish`.
 */
export function publishOf(annotations: Record<string, string> | undefined): string | undefined {
  const name = annotations?.['io.kubernetes.cri.container-name'];
  return (name !== undefined ? annotations?.[`${PUBLISH_ANNOTATION}.${name}`] : undefined) ?? annotations?.[PUBLISH_ANNOTATION];
}

/** The mappings a PUBLISH_ANNOTATION value asks for (PortError for a bad spec). */
export function mappingsOf(annotation: string | undefined): PortMapping[] {
  if (annotation === undefined || annotation.trim() === '') return [];
  return annotation.split(',').map((s) => parsePublish(s.trim()));
}

/** One `-p`, parsed. `hostPort` 0: the host picks. */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp';
}

/** A mapping bound on the host. */
export interface BoundPort extends PortMapping {
  /** Host listener handle (for the kernel). */
  id: number;
}

/** Why ports cannot be published. */
export class PortError extends Error {
  constructor(readonly code: 'BAD_SPEC' | 'IN_USE' | 'LISTEN', message: string) {
    super(message);
    this.name = 'PortError';
  }
}

function portNumber(s: string, what: string, spec: string, zeroOk = false): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535 || (!zeroOk && Number(s) === 0)) {
    throw new PortError('BAD_SPEC', `-p ${spec}: ${what} ${JSON.stringify(s)} is not a port number (1-65535)`);
  }
  return Number(s);
}

/** Parse one `-p` value: `[IP:][HOSTPORT:]CTRPORT[/tcp]` (IPv6 as `[::1]`). */
export function parsePublish(spec: string): PortMapping {
  let rest = spec;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp') throw new PortError('BAD_SPEC', `-p ${spec}: only tcp ports can be published (preview1 has stream sockets only)`);
    rest = rest.slice(0, slash);
  }
  let hostIp = '0.0.0.0';
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1]!;
    rest = v6[2]!.startsWith(':') ? v6[2]!.slice(1) : v6[2]!; // [IP]::CTRPORT: no host port
  }
  const parts = rest.split(':');
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new PortError('BAD_SPEC', `-p ${spec}: give [IP:][HOSTPORT:]CTRPORT[/tcp]`);
  }
  if (parts.length === 3) {
    if (v6) throw new PortError('BAD_SPEC', `-p ${spec}: give [IP:][HOSTPORT:]CTRPORT[/tcp]`);
    hostIp = parts[0]!;
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp)) throw new PortError('BAD_SPEC', `-p ${spec}: ${hostIp} is not an IPv4 address`);
  }
  const ctr = portNumber(parts[parts.length - 1]!, 'container port', spec);
  const hostPart = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const hostPort = hostPart === '' ? 0 : portNumber(hostPart, 'host port', spec);
  return { hostIp, hostPort, containerPort: ctr, protocol: 'tcp' };
}

/** `-P`: each of the image's ExposedPorts ("80/tcp") on a free host port; udp ones are refused. */
export function exposedMappings(exposed: Record<string, unknown> | undefined): PortMapping[] {
  return Object.keys(exposed ?? {}).map((k) => parsePublish(k));
}

/** Host ports bound for one container, with the thread that serves them. */
export interface OpenPorts {
  net: NodeNet;
  ports: BoundPort[];
}

/** Bind every mapping on the host, or none (PortError). Two mappings of one container port are refused. */
export async function openPorts(mappings: readonly PortMapping[]): Promise<OpenPorts> {
  const seen = new Set<number>();
  for (const m of mappings) {
    if (seen.has(m.containerPort)) throw new PortError('BAD_SPEC', `container port ${m.containerPort} is published twice`);
    seen.add(m.containerPort);
  }
  const net = new NodeNet();
  const ports: BoundPort[] = [];
  try {
    for (const m of mappings) {
      const l = await net.listen(m.hostIp, m.hostPort);
      ports.push({ ...m, hostPort: l.port, id: l.id });
    }
  } catch (e) {
    await net.dispose();
    if (e instanceof NodeNetError) throw new PortError(e.code === 'ADDR_IN_USE' ? 'IN_USE' : 'LISTEN', `-p ${publishSpec(mappings[ports.length]!)}: ${e.message}`);
    throw e;
  }
  return { net, ports };
}

/** A mapping as `-p` spells it (`127.0.0.1::80/tcp`). */
export function publishSpec(m: PortMapping): string {
  const port = m.hostPort === 0 ? '' : String(m.hostPort);
  if (m.hostIp === '0.0.0.0') return `${port === '' ? '' : `${port}:`}${m.containerPort}/${m.protocol}`;
  return `${m.hostIp.includes(':') ? `[${m.hostIp}]` : m.hostIp}:${port}:${m.containerPort}/${m.protocol}`;
}

/** podman's spelling of a bound port: `0.0.0.0:8080->80/tcp`. */
export function formatPort(p: PortMapping): string {
  return `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** The kernel's names of bound ports (LISTEN_FDNAMES): `80/tcp`. */
export function listenerNames(ports: readonly BoundPort[]): { id: number; name: string }[] {
  return ports.map((p) => ({ id: p.id, name: `${p.containerPort}/${p.protocol}` }));
}

/**
 * Give `task` one preopened listener per bound port (lowest free fds, so
 * right after stdio and the preopened directories) and the LISTEN_*
 * variables; the namespace charges buffered bytes to `account`.
 */
export function installPorts(task: Task, net: HostNet, ports: readonly BoundPort[], account: SpaceAccount | null): NetNamespace {
  return installListeners(task, net, listenerNames(ports), account);
}

/**
 * Hand the bound ports to a kernel in another thread (the Sentry: transfer
 * the result's `port`); `open.net` keeps only `dispose`, which frees the
 * host ports.
 */
export function handOffPorts(open: OpenPorts): NetSpec {
  return open.net.handOff(listenerNames(open.ports));
}
