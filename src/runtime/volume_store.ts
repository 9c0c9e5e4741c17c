/**
 * Named volumes (`volume create/ls/inspect/rm/prune`, `-v NAME:/path`,
 * `--mount type=volume`), as podman's local driver keeps them: a directory
 * per volume under the store, bind-mounted into containers.
 * ```
 * STORE/volumes/NAME/volume.json   { Name, Driver, Mountpoint, CreatedAt, Labels, Options, Scope }
 * STORE/volumes/NAME/_data/        the content containers see
 * ```
 * A volume is created before its first use (by `volume create`, or by a
 * run naming it) and kept until `volume rm` or `volume prune`; which
 * containers use it is read from their configs (`usersOf`).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError } from '../coded_error.js';

/** Stable codes of {@link VolumeError}. */
export type VolumeErrorCode = 'BAD_NAME' | 'NOT_FOUND' | 'EXISTS' | 'IN_USE';

/** A volume operation refused; the message says what to do. */
export class VolumeError extends CodedError<VolumeErrorCode> {
  override readonly name = 'VolumeError';
}

/** One volume, as `volume inspect` prints it (podman's keys). */
export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
}

/** podman's volume name rule. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** True if a `-v` source is a volume name rather than a host path (podman: no `/`, not starting with `.`). */
export function isVolumeName(source: string): boolean {
  return VOLUME_NAME.test(source) && !source.includes('/');
}

/** The volumes of one store root. */
export class VolumeStore {
  readonly dir: string;

  constructor(storeRoot: string) {
    this.dir = join(storeRoot, 'volumes');
  }

  private check(name: string): void {
    if (!VOLUME_NAME.test(name) || name.length > 255) {
      throw new VolumeError('BAD_NAME', `invalid volume name ${JSON.stringify(name)}: use letters, digits, _ . - (starting with a letter or digit)`);
    }
  }

  /** The volume `name`, or undefined. */
  get(name: string): VolumeInfo | undefined {
    this.check(name);
    try {
      return JSON.parse(readFileSync(join(this.dir, name, 'volume.json'), 'utf8')) as VolumeInfo;
    } catch {
      return undefined;
    }
  }

  /** The volume `name`; NOT_FOUND otherwise. */
  find(name: string): VolumeInfo {
    const v = this.get(name);
    if (v === undefined) throw new VolumeError('NOT_FOUND', `no such volume ${name}: see wasmvisor volume ls`);
    return v;
  }

  /** Create `name` (EXISTS if present, unless `ignore`, which returns the present one). */
  create(name: string, opts: { labels?: Record<string, string>; options?: Record<string, string>; ignore?: boolean } = {}): VolumeInfo {
    this.check(name);
    const old = this.get(name);
    if (old !== undefined) {
      if (opts.ignore) return old;
      throw new VolumeError('EXISTS', `volume ${name} already exists`);
    }
    const vdir = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    mkdirSync(join(tmp, '_data'), { recursive: true, mode: 0o755 });
    const info: VolumeInfo = {
      Name: name, Driver: 'local', Mountpoint: join(vdir, '_data'), CreatedAt: new Date().toISOString(),
      Labels: opts.labels ?? {}, Options: opts.options ?? {}, Scope: 'local',
    };
    writeFileSync(join(tmp, 'volume.json'), JSON.stringify(info, null, 2) + '\n');
    try {
      renameSync(tmp, vdir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      const raced = this.get(name);
      if (raced !== undefined && opts.ignore) return raced;
      if (raced !== undefined) throw new VolumeError('EXISTS', `volume ${name} already exists`);
      throw err;
    }
    return info;
  }

  /** The volume `name`, created if absent (a run naming it). */
  ensure(name: string): VolumeInfo {
    return this.create(name, { ignore: true });
  }

  /** Every volume, by name. */
  list(): VolumeInfo[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((n) => VOLUME_NAME.test(n)).sort()
      .map((n) => this.get(n)).filter((v): v is VolumeInfo => v !== undefined);
  }

  /** Remove `name` and its content. */
  remove(name: string): void {
    this.find(name);
    const vdir = join(this.dir, name);
    const gone = join(this.dir, `.${name}.${process.pid}.rm`);
    renameSync(vdir, gone); // atomic: the name is free at once
    rmSync(gone, { recursive: true, force: true });
  }

  /** Bytes under the volume's `_data` (regular files, not following links). */
  size(name: string): number {
    let total = 0;
    const walk = (d: string): void => {
      let ents;
      try {
        ents = readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of ents) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          try {
            total += lstatSync(p).size;
          } catch {
            /* gone meanwhile: not counted */
          }
        }
      }
    };
    walk(join(this.dir, name, '_data'));
    return total;
  }
}

/**
 * The containers (ids) whose config mounts volume `info`: `configs` maps an
 * id to its OCI config's mounts' sources.
 */
export function usersOf(info: VolumeInfo, configs: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [id, sources] of configs) if (sources.some((s) => s === info.Mountpoint || s.startsWith(`${info.Mountpoint}/`))) out.push(id);
  return out;
}
