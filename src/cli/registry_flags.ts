/**
 * The registry flags of `pull`, `push`, `run`, … (`--tls-verify`,
 * `--authfile`, `--creds`, `--registries-conf`), apart from
 * registry_setup.ts so that defining them does not load the registry
 * client (start-up of `run FILE.wasm`).
 */
import type { Command } from 'commander';

/** The registry options as commander parses them. */
export interface RegistryFlags {
  tlsVerify?: boolean | string;
  authfile?: string;
  creds?: string;
  registriesConf?: string;
}

/** Add `--tls-verify`, `--authfile`, `--creds` and `--registries-conf` to `cmd`. */
export function addRegistryFlags(cmd: Command, withCreds = true): Command {
  cmd
    .option('--tls-verify <bool>', 'require HTTPS and verify certificates (default true; loopback registries may use HTTP)')
    .option('--authfile <file>', 'credentials file (default $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)')
    .option('--registries-conf <file>', 'registries.conf with mirrors and insecure registries');
  if (withCreds) cmd.option('--creds <user[:password]>', 'credentials to use instead of the auth file');
  return cmd;
}
