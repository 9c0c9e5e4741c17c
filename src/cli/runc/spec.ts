/** `spec [--bundle B]`: write a default config.json for a WebAssembly module, as `runc spec` does. */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { OciConfig } from '../../runtime/config.js';
import { DetachedError, OCI_VERSION } from '../../runtime/detached/state.js';

/** The default config: `/main.wasm` in `rootfs/`, with the namespaces and mounts the sandbox provides. */
export function defaultSpec(): OciConfig {
  return {
    ociVersion: OCI_VERSION,
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/main.wasm'], env: ['PATH=/usr/local/bin:/usr/bin:/bin'], cwd: '/' },
    root: { path: 'rootfs', readonly: true },
    hostname: 'wasmvisor',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=64m'] },
    ],
    linux: { namespaces: ['pid', 'ipc', 'uts', 'mount', 'network'].map((type) => ({ type })) },
  };
}

/** Register `spec`. */
export function register(program: Command): void {
  program.command('spec')
    .description('write a default config.json (for rootfs/main.wasm) in the bundle directory')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--rootless', 'accepted for compatibility (the sandbox needs no root either way)')
    .action((f: { bundle: string }) => {
      const path = join(resolve(f.bundle), 'config.json');
      if (existsSync(path)) throw new DetachedError('EXISTS', `${path} exists already: remove it first`);
      writeFileSync(path, `${JSON.stringify(defaultSpec(), null, 2)}\n`);
    });
}
