/** `features`: what this runtime supports, as the runtime-spec's features document. */
import type { Command } from 'commander';
import { ACTIONS, OPS } from '../../../kernel/seccomp/profile.js';
import { OCI_VERSION } from '../../runtime/detached/state.js';

/** The features document (runtime-spec features.md). */
export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [],
    mountOptions: ['ro', 'rw', 'bind', 'rbind', 'size'],
    linux: {
      namespaces: ['pid', 'mount', 'uts', 'user', 'ipc', 'network', 'cgroup'],
      capabilities: [],
      cgroup: { v1: false, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: [...ACTIONS],
        operators: [...OPS],
        archs: [],
        knownFlags: [],
        supportedFlags: [],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.opencontainers.runc.version': 'wasmvisor-runc 0.1.0' },
  };
}

/** Register `features`. */
export function register(program: Command): void {
  program.command('features')
    .description('print the features this runtime supports (JSON)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(features(), null, 2)}\n`);
    });
}
