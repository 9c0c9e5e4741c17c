/** `wasmvisor logout REGISTRY`: remove stored credentials. */
import type { Command } from 'commander';
import { authFileToWrite, removeAllCredentials, removeCredentials } from '../../image/registry/auth.js';
import { CliExit } from '../exit.js';

/** Register `logout`. */
export function register(program: Command): void {
  program
    .command('logout')
    .description('remove the credentials stored for a registry')
    .argument('[registry]', 'registry host[:port], optionally with /namespace')
    .option('-a, --all', 'remove every stored credential')
    .option('--authfile <file>', 'credentials file to edit')
    .action(async (registry: string | undefined, opts: { all?: boolean; authfile?: string }) => {
      const file = authFileToWrite(opts.authfile);
      if (opts.all) {
        const n = await removeAllCredentials(file);
        process.stdout.write(`Removed login credentials for all registries (${n})\n`);
        return;
      }
      if (!registry) throw new CliExit(125, 'logout needs a registry, or --all');
      const key = registry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
      if (!(await removeCredentials(file, key))) throw new CliExit(125, `not logged into ${key} (in ${file})`);
      process.stdout.write(`Removed login credentials for ${key}\n`);
    });
}
