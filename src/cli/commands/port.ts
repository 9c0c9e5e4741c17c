/** `wasmvisor port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, as podman prints them. */
import type { Command } from 'commander';
import { CliExit, ExitCode } from '../exit.js';
import { printFormatted } from '../go_template.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { portsOf } from '../publish.js';

/** Register `port`. */
export function register(program: Command): void {
  program.command('port')
    .description('list a container\'s published ports (-p, -P): CTRPORT/tcp -> HOSTIP:HOSTPORT')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('[port]', 'only this container port (PORT or PORT/tcp): print its HOSTIP:HOSTPORT')
    .option('--format <format>', 'a Go template over HostIp, HostPort, ContainerPort, Protocol (one line per port)')
    .addHelpText('after', '\nExit status: 0; 125 if the container does not exist, PORT is not published or the format is invalid.')
    .action((ref: string, port: string | undefined, f: { format?: string }, c: Command) => {
      const st = findContainer(containersRoot(c), ref);
      let ports = portsOf(st.annotations);
      if (port !== undefined) {
        const m = /^(\d{1,5})(?:\/(tcp))?$/.exec(port);
        if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid port ${port}: give PORT or PORT/tcp`);
        ports = ports.filter((p) => p.containerPort === Number(m[1]));
        if (ports.length === 0) throw new CliExit(ExitCode.RUNTIME, `container ${ref} does not publish port ${port}`);
      }
      if (f.format !== undefined) {
        printFormatted(f.format.endsWith('\n') ? f.format : `${f.format}\n`, ports.map((p) => ({ HostIp: p.hostIp, HostPort: p.hostPort, ContainerPort: p.containerPort, Protocol: p.protocol })), ['HostIp', 'HostPort', 'ContainerPort', 'Protocol']);
        return;
      }
      for (const p of ports) {
        const host = `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}`;
        process.stdout.write(port !== undefined ? `${host}\n` : `${p.containerPort}/${p.protocol} -> ${host}\n`);
      }
    });
}
