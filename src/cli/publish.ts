/**
 * `-p`/`--publish` and `-P`/`--publish-all` of run and create: parsed and
 * bound here (runtime/ports.ts), so that a bad spec or a port in use is one
 * line and exit 125 before any container state exists.
 */
import { CliExit, ExitCode } from './exit.js';
import { type BoundPort, exposedMappings, formatPort, type OpenPorts, openPorts, type PortMapping, PortError, parsePublish, PORTS_ANNOTATION, PUBLISH_ANNOTATION, publishSpec } from '../runtime/ports.js';

/** The publish flags of run/create. */
export interface PublishFlags {
  publish: string[];
  publishAll?: boolean;
}

/** Help text of the publish flags. */
export const PUBLISH_HELP = {
  publish: 'publish a container port on the host: [IP:][HOSTPORT:]CTRPORT[/tcp] (no HOSTPORT: a free one); repeatable. The guest gets a listening socket per port (LISTEN_FDS, see below)',
  publishAll: 'publish every port the image exposes (ExposedPorts) on a free host port',
};

/** Text for run --help. */
export const PUBLISH_EPILOG = `Published ports (-p, -P): each port is bound on the host before the container
starts (a port in use: one line, exit 125) and given to the guest as an
already-listening socket (as wasmtime --tcplisten): fds are numbered after
stdio and the preopened directories, in -p order; LISTEN_FDS holds their
count, LISTEN_FDS_START the first fd, LISTEN_FDNAMES the container ports
("80/tcp:443/tcp"). WASI preview1 has no connect: a container cannot open
connections out (no egress).`;

function cliError(e: unknown): never {
  if (e instanceof PortError) throw new CliExit(ExitCode.RUNTIME, e.message);
  throw e;
}

/** The mappings the flags ask for (`exposed`: the image's ExposedPorts, for -P). */
export function publishMappings(flags: PublishFlags, exposed?: Record<string, unknown>): PortMapping[] {
  try {
    const list = flags.publish.map(parsePublish);
    if (flags.publishAll) {
      for (const m of exposedMappings(exposed)) if (!list.some((p) => p.containerPort === m.containerPort)) list.push(m);
    }
    return list;
  } catch (e) {
    cliError(e);
  }
}

/** Bind the mappings on the host (none: undefined). */
export async function bindPublished(mappings: readonly PortMapping[]): Promise<OpenPorts | undefined> {
  if (mappings.length === 0) return undefined;
  return openPorts(mappings).catch(cliError);
}

/** The annotation recording bound ports (for `port` and `ps`). */
export function portsAnnotation(ports: readonly BoundPort[] | undefined): Record<string, string> {
  if (ports === undefined || ports.length === 0) return {};
  return { [PORTS_ANNOTATION]: JSON.stringify(ports.map(({ hostIp, hostPort, containerPort, protocol }) => ({ hostIp, hostPort, containerPort, protocol }))) };
}

/** The annotation asking a detached container's sandbox process to bind `mappings` (none: {}). */
export function publishAnnotation(mappings: readonly PortMapping[]): Record<string, string> {
  return mappings.length === 0 ? {} : { [PUBLISH_ANNOTATION]: mappings.map(publishSpec).join(',') };
}

/** The bound ports recorded on a container (none: []). */
export function portsOf(annotations: Readonly<Record<string, string>>): PortMapping[] {
  try {
    const list = JSON.parse(annotations[PORTS_ANNOTATION] ?? '[]') as PortMapping[];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** ps's PORTS text: `0.0.0.0:8080->80/tcp, …`. */
export function portsText(annotations: Readonly<Record<string, string>>): string {
  return portsOf(annotations).map(formatPort).join(', ');
}
