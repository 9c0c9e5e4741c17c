/**
 * The hardening flags of `run` and `create`, spelled as podman spells them:
 * `--security-opt seccomp=FILE|unconfined`, `--storage-opt size=`. `addLimitFlags` registers them
 * on a command; `limitOptions` turns their values into the run config's
 * options (exit 125 with one line for bad input).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkProfile, SeccompProfileError, type SeccompProfile } from '../../kernel/seccomp/profile.js';
import type { RunConfigOptions } from '../runtime/run_config.js';
import { CliExit, ExitCode } from './exit.js';
import { collect } from './options.js';

/** The flags' raw values, as commander gives them. */
export interface LimitFlags {
  securityOpt: string[];
  storageOpt: string[];
  memoryReservation?: string;
  deviceReadBps: string[];
  deviceWriteBps: string[];
  network?: string;
  net?: string;
  capDrop: string[];
  capAdd: string[];
}

/**
 * `--network`/`--net` and `--cap-drop`/`--cap-add`, as podman users give them: a Wasm guest has no
 * network stack (only the sockets -p hands it) and no Linux capabilities, so `--network none` and
 * any `--cap-drop` already hold and are accepted; other modes and `--cap-add` would promise what
 * cannot be given, and are refused (125, one line).
 */
export function checkIsolationFlags(flags: Pick<LimitFlags, 'network' | 'net' | 'capAdd'>): void {
  for (const [flag, mode] of [['--network', flags.network], ['--net', flags.net]] as const) {
    if (mode !== undefined && mode !== 'none') throw new CliExit(ExitCode.RUNTIME, `unsupported ${flag} ${mode}: a Wasm container has no network of its own; only none is accepted (publish a port with -p)`);
  }
  if (flags.capAdd.length > 0) throw new CliExit(ExitCode.RUNTIME, `unsupported --cap-add ${flags.capAdd.join(',')}: a Wasm guest has no Linux capabilities to add`);
}

/** `--device-read-bps DEVICE:RATE` (podman's spelling): the rate in bytes a second; DEVICE may be any path (the container has one device, its upper layer). */
export function parseDeviceRate(specs: readonly string[], flag: string): number | undefined {
  let rate: number | undefined;
  for (const spec of specs) {
    const i = spec.lastIndexOf(':');
    if (i <= 0) throw new CliExit(ExitCode.RUNTIME, `invalid ${flag} ${spec}: expected DEVICE:RATE, e.g. /dev/sda:1mb`);
    const r = parseBytes(spec.slice(i + 1), `${flag} ${spec}`);
    rate = rate === undefined ? r : Math.min(rate, r);
  }
  return rate;
}

/** `512k`, `64m`, `1g`, `2t` or bytes (powers of 1024, as podman); `what` names the flag in the error. */
export function parseBytes(spec: string, what: string): number {
  const m = /^(\d+)([kmgt]?)b?$/i.exec(spec.trim());
  const n = m ? Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'] : NaN;
  if (!(n > 0) || !Number.isSafeInteger(n)) throw new CliExit(ExitCode.RUNTIME, `invalid ${what}: give a positive size such as 512k, 64m or 1g`);
  return n;
}

/** `--storage-opt size=N`: the upper layer's quota in bytes (other storage options are refused). */
export function parseStorageOpts(specs: readonly string[]): Pick<RunConfigOptions, 'storageSize'> {
  let storageSize: number | undefined;
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0 || spec.slice(0, eq) !== 'size') throw new CliExit(ExitCode.RUNTIME, `unsupported --storage-opt ${spec}: only size=SIZE (the container's writable layer) is supported`);
    storageSize = parseBytes(spec.slice(eq + 1), `--storage-opt ${spec}`);
  }
  return storageSize === undefined ? {} : { storageSize };
}

/** Register the hardening flags on `cmd`. */
export function addLimitFlags(cmd: Command): Command {
  return cmd
    .option('--memory-reservation <size>', 'memory.high (512k, 64m, 1g): above it each call that allocates file memory is parked for a penalty growing with the excess (1 ms per MiB, at most 100 ms) and memory.events high counts it; nothing is refused (-m still is)')
    .option('--device-read-bps <DEVICE:RATE>', 'io.max rbps: reads of the container\'s writable layer\'s files at most RATE bytes a second (1mb, 512k; excess calls wait); DEVICE is accepted as any path: the container has one device, that layer', collect, [])
    .option('--device-write-bps <DEVICE:RATE>', 'io.max wbps: writes to the container\'s writable layer at most RATE bytes a second (see --device-read-bps)', collect, [])
    .option('--storage-opt <size=SIZE>', 'cap the container\'s writable layer (its private in-memory upper over the image or --rootfs, or the root itself without one) at SIZE (512k, 64m, 1g): writes past it are cut short, then ENOSPC; the bytes also count in memory.current', collect, [])
    .option('--security-opt <seccomp=FILE|unconfined>', 'seccomp=FILE: an OCI seccomp profile (JSON) filtering the guest\'s calls by WASI name or by the Linux names that map onto them (kernel/seccomp/README.md); seccomp=unconfined: none; default: the built-in profile; no-new-privileges is accepted (nothing inside can gain privileges)', collect, [])
    .option('--network <mode>', 'none (accepted: a Wasm guest has no network stack, only the sockets -p gives it); other modes are refused')
    .option('--net <mode>', 'the same as --network')
    .option('--cap-drop <capability>', 'accepted and ignored: a Wasm guest has no Linux capabilities (ALL, NET_RAW, ...)', collect, [])
    .option('--cap-add <capability>', 'refused: a Wasm guest has no Linux capabilities to add', collect, []);
}

/** Read and check a seccomp profile file; one clear line, exit 125, for a missing file, bad JSON or a bad profile. */
export function readSeccompProfile(path: string): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CliExit(ExitCode.RUNTIME, `--security-opt seccomp=${path}: ${why}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliExit(ExitCode.RUNTIME, `--security-opt seccomp=${path}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return checkProfile(json);
  } catch (err) {
    if (err instanceof SeccompProfileError) throw new CliExit(ExitCode.RUNTIME, `--security-opt seccomp=${path}: ${err.message}`);
    throw err;
  }
}

/** `--security-opt` values → the seccomp option (undefined: the default profile). */
export function parseSecurityOpts(specs: readonly string[]): Pick<RunConfigOptions, 'seccomp'> {
  let seccomp: RunConfigOptions['seccomp'];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? '' : spec.slice(eq + 1);
    if (key === 'seccomp') {
      if (value === '') throw new CliExit(ExitCode.RUNTIME, `invalid --security-opt ${spec}: give seccomp=FILE or seccomp=unconfined`);
      seccomp = value === 'unconfined' ? 'unconfined' : readSeccompProfile(value);
    } else if (key === 'no-new-privileges' || spec === 'no-new-privileges:true') {
      // nothing in a wasmvisor container can gain privileges (no setuid, no exec of host binaries)
    } else {
      throw new CliExit(ExitCode.RUNTIME, `unsupported --security-opt ${spec}: use seccomp=FILE, seccomp=unconfined or no-new-privileges`);
    }
  }
  return seccomp === undefined ? {} : { seccomp };
}

/** The run config's options from the hardening flags. */
export function limitOptions(flags: LimitFlags): Partial<RunConfigOptions> {
  checkIsolationFlags(flags);
  return {
    ...parseSecurityOpts(flags.securityOpt), ...parseStorageOpts(flags.storageOpt),
    ...(flags.deviceReadBps.length > 0 && { deviceReadBps: parseDeviceRate(flags.deviceReadBps, '--device-read-bps') }),
    ...(flags.deviceWriteBps.length > 0 && { deviceWriteBps: parseDeviceRate(flags.deviceWriteBps, '--device-write-bps') }),
    ...(flags.memoryReservation !== undefined && { memoryReservation: parseBytes(flags.memoryReservation, `--memory-reservation ${flags.memoryReservation}`) }),
  };
}
