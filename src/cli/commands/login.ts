/** `wasmvisor login REGISTRY`: check credentials against the registry and store them. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { authFileToWrite, saveCredentials } from '../../image/registry/auth.js';
import { parseReference } from '../../image/reference/reference.js';
import { RegistryClient } from '../../image/registry/registry.js';
import { loadRegistriesConf } from '../../image/registry/registry_config.js';
import { parseBoolFlag } from '../registry_setup.js';
import { CliExit } from '../exit.js';

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

/** Read a line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliExit(130, 'login cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Register `login`. */
export function register(program: Command): void {
  program
    .command('login')
    .description('log in to a registry (credentials are checked, then saved to the auth file)')
    .argument('<registry>', 'registry host[:port], optionally with /namespace')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <file>', 'credentials file to write')
    .option('--tls-verify <bool>', 'require HTTPS and verify certificates')
    .option('--registries-conf <file>', 'registries.conf with insecure registries')
    .action(async (registry: string, opts: { username?: string; password?: string; passwordStdin?: boolean; authfile?: string; tlsVerify?: string | boolean; registriesConf?: string }) => {
      let { username, password } = opts;
      if (opts.passwordStdin) password = await readStdin();
      if ((!username || password === undefined) && process.stdin.isTTY) {
        if (!username) {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          username = await rl.question('Username: ');
          rl.close();
        }
        password ??= await readHidden('Password: ');
      }
      if (!username || password === undefined) throw new CliExit(125, 'login needs --username and a password (--password-stdin or -p)');
      const key = registry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
      const host = key.split('/')[0];
      const ref = parseReference(`${host}/${key.split('/').slice(1).join('/') || 'library/x'}`);
      const client = new RegistryClient({ credentials: { username, password }, tlsVerify: parseBoolFlag(opts.tlsVerify), conf: loadRegistriesConf(opts.registriesConf) });
      const ep = client.endpoints(ref, { noMirrors: true })[0];
      await client.request(ep, { path: '' }).then(async (res) => {
        res.body.resume();
        if (res.status !== 200) await client.fail(ep, res, 'login');
      });
      const file = authFileToWrite(opts.authfile);
      await saveCredentials(file, key, { username, password });
      process.stdout.write('Login Succeeded!\n');
    });
}
