/**
 * The mounts of `run`/`create` beyond host paths: `-v NAME:/path` (a source
 * without `/` that does not start with `.` is a named volume, as podman:
 * created on first use, its `_data` directory bind-mounted) and podman's
 * `--mount type=bind|volume|tmpfs,source=…,target=…,readonly,…`. Binds
 * are returned; a `--mount type=tmpfs` becomes a `--tmpfs` spec.
 */
import { randomBytes } from '../host/node_random.js';
import { posix, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BindMount } from '../runtime/run_config.js';
import { isVolumeName, VolumeError } from '../runtime/volume_store.js';
import { CliExit, ExitCode } from './exit.js';
import { volumesFromCommand } from './volume_users.js';

/** `--mount` help text. */
export const MOUNT_HELP = 'type=bind|volume|tmpfs,source=SRC,target=DST[,readonly][,tmpfs-size=SIZE]: a host path, a named volume (anonymous if no source), or an in-memory filesystem (repeatable)';

const bad = (spec: string, why: string): never => {
  throw new CliExit(ExitCode.RUNTIME, `invalid --mount ${spec}: ${why}`);
};

/** The `_data` directory of volume `name`, created if absent. */
function volumeDir(name: string, c: Command): string {
  try {
    return volumesFromCommand(c).ensure(name).Mountpoint;
  } catch (err) {
    if (err instanceof VolumeError) throw new CliExit(ExitCode.RUNTIME, err.message);
    throw err;
  }
}

/** One `--mount` spec: a bind, or a `--tmpfs` spec. */
export function parseMount(spec: string, c: Command): { bind?: BindMount; tmpfs?: string } {
  const kv = new Map<string, string | undefined>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = i < 0 ? part : part.slice(0, i);
    const key = ({ src: 'source', dst: 'target', destination: 'target', ro: 'readonly' } as Record<string, string>)[k] ?? k;
    if (kv.has(key)) bad(spec, `${k} is given twice`);
    kv.set(key, i < 0 ? undefined : part.slice(i + 1));
  }
  const type = kv.get('type');
  const target = kv.get('target');
  if (type === undefined) bad(spec, 'type= is missing (bind, volume or tmpfs)');
  if (!target) bad(spec, 'target= is missing');
  if (!target!.startsWith('/')) bad(spec, 'the target must be an absolute path');
  if (posix.normalize(target!) === '/') bad(spec, 'the target cannot be "/"');
  const roText = kv.get('readonly');
  if (roText !== undefined && !/^(true|false|1|0)$/.test(roText)) bad(spec, `readonly=${roText}: use true or false`);
  const readonly = kv.has('readonly') && roText !== 'false' && roText !== '0';
  const allowed: Record<string, readonly string[]> = {
    bind: ['type', 'source', 'target', 'readonly', 'relabel', 'bind-propagation'],
    volume: ['type', 'source', 'target', 'readonly', 'relabel'],
    tmpfs: ['type', 'target', 'readonly', 'tmpfs-size'],
  };
  if (!Object.hasOwn(allowed, type!)) bad(spec, `type=${type} is not supported: use bind, volume or tmpfs`);
  for (const k of kv.keys()) if (!allowed[type!]!.includes(k)) bad(spec, `${k} is not an option of type=${type} (options: ${allowed[type!]!.slice(1).join(', ')})`);
  const prop = kv.get('bind-propagation');
  if (prop !== undefined && !/^r?(private|shared|slave)$/.test(prop)) bad(spec, `bind-propagation=${prop}: use private, rprivate, shared, rshared, slave or rslave`);
  if (type === 'tmpfs') {
    const size = kv.get('tmpfs-size');
    if (size !== undefined && !/^\d+[kmg]?b?$/i.test(size)) bad(spec, `tmpfs-size=${size}: give a size such as 64m`);
    const opts = [size !== undefined ? `size=${size}` : '', readonly ? 'ro' : ''].filter(Boolean).join(',');
    return { tmpfs: opts ? `${target}:${opts}` : target };
  }
  const source = kv.get('source');
  if (type === 'bind') {
    if (!source) bad(spec, 'type=bind needs source=HOST-PATH');
    return { bind: { host: resolve(source!), container: target!, readonly } };
  }
  const name = source || randomBytes(32).toString('hex');
  if (!isVolumeName(name)) bad(spec, `source=${name} is not a volume name (letters, digits, _ . -); for a host path use type=bind`);
  return { bind: { host: volumeDir(name, c), container: target!, readonly } };
}

/**
 * The binds of `-v` (each already parsed by `parseVolume`, named volumes
 * resolved here) and `--mount`; a `--mount type=tmpfs` is appended to `tmpfs`.
 */
export function mountFlags(volumes: readonly string[], parsed: readonly BindMount[], mounts: readonly string[], tmpfs: string[], c: Command): BindMount[] {
  const out = parsed.map((b, i) => {
    const source = volumes[i]!.split(':')[0]!;
    return isVolumeName(source) ? { ...b, host: volumeDir(source, c) } : b;
  });
  for (const m of mounts) {
    const r = parseMount(m, c);
    if (r.bind) out.push(r.bind);
    if (r.tmpfs) tmpfs.push(r.tmpfs);
  }
  return out;
}
