/**
 * Published ports of a detached container, held by its sandbox process:
 * the config's PUBLISH_ANNOTATION (`wasmvisor run -d -p`, or a bundle's
 * own for wasmvisor-runc; per container name under CRI: `publishOf`) is
 * bound before the sandbox reports ready, so a port in use fails `create`
 * with one line and nothing left; the bound
 * ports are recorded in state.json's PORTS_ANNOTATION (`port`, `ps`).
 * Each run of the container (a restart policy makes a fresh one) takes
 * the listeners through `next()`; the host ports are released when the
 * guest closes them (its end closes its fds) and at the latest when this
 * process exits.
 */
import type { OciConfig } from '../config.js';
import type { NetSpec } from '../../sentry/control_plane.js';
import { type BoundPort, handOffPorts, mappingsOf, type OpenPorts, openPorts, type PortMapping, PORTS_ANNOTATION, publishOf } from '../ports.js';

/** The published ports of one sandbox process's container. */
export class SandboxPorts {
  private used = false;

  private constructor(private open: OpenPorts, private readonly bound: readonly PortMapping[]) {}

  /** Bind what `config` asks for (null: nothing); a PortError says which port and why. */
  static async bind(config: OciConfig): Promise<SandboxPorts | null> {
    const asked = mappingsOf(publishOf(config.annotations));
    if (asked.length === 0) return null;
    const open = await openPorts(asked);
    return new SandboxPorts(open, open.ports.map(({ hostIp, hostPort, containerPort, protocol }) => ({ hostIp, hostPort, containerPort, protocol })));
  }

  /** The bound ports, for state.json's annotations. */
  annotations(): Record<string, string> {
    return { [PORTS_ANNOTATION]: JSON.stringify(this.bound) };
  }

  /** The bound ports. */
  get ports(): readonly BoundPort[] {
    return this.open.ports;
  }

  /**
   * The listeners for the next run of the container: the ones bound first,
   * then (a restart) the same host ports bound again, since the last run's
   * end closed them.
   */
  async next(): Promise<NetSpec> {
    if (this.used) {
      await this.open.net.dispose();
      this.open = await openPorts(this.bound);
    }
    this.used = true;
    return handOffPorts(this.open);
  }

  /** Free the host ports now. */
  dispose(): Promise<void> {
    return this.open.net.dispose();
  }
}
