/** `wasmvisor version [--format json|TEMPLATE]`: the client's version, as podman prints its own. */
import type { Command } from 'commander';
import { osArch, packageVersion } from '../package_info.js';
import { printReport } from '../format_output.js';

/** The version document (podman's `Client` keys, Node's version where podman has Go's). */
export function versionDoc(): { Client: Record<string, string | number> } {
  return {
    Client: {
      APIVersion: packageVersion(), Version: packageVersion(), NodeVersion: process.version, GoVersion: '', GitCommit: '',
      BuiltTime: '', Built: 0, OsArch: osArch(), Os: process.platform,
    },
  };
}

/** Register `version`. */
export function register(program: Command): void {
  program.command('version')
    .description('show the wasmvisor version')
    .option('-f, --format <format>', 'json, or a Go template such as \'{{.Client.Version}}\'')
    .action((opts: { format?: string }) => {
      const doc = versionDoc();
      if (printReport(opts.format, doc, [doc], ['Client'], {}, '{{.Client.Version}}')) return;
      const c = doc.Client;
      process.stdout.write(`Client:       wasmvisor\nVersion:      ${c.Version}\nAPI Version:  ${c.APIVersion}\nNode Version: ${c.NodeVersion}\nOS/Arch:      ${c.OsArch}\n`);
    });
}
