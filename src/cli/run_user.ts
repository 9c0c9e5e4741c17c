/**
 * The user a `run` process starts as, from `-u/--user` or the image config's
 * `User`, resolved as podman (runc's `GetExecUser`) does:
 *
 * - `uid` / `name`: the user's passwd entry gives its primary group; a
 *   numeric uid without an entry runs with gid 0; a name without one is an
 *   error.
 * - `uid:gid`, `name:group`, `uid:group`, `name:gid`: a group name is looked
 *   up in /etc/group; an unknown name is an error.
 * - The home directory of the passwd entry becomes `HOME` when the
 *   environment has none (podman does the same; `/` otherwise).
 *
 * /etc/passwd and /etc/group are read from the container's root before it
 * starts: the image's merged layers (symlinks followed inside them), or a
 * `--rootfs` host directory. A module run from a file has an empty root, so
 * only numeric ids work there.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerTree } from '../../kernel/fs/layer_tree.js';
import { lookupMerged, readLayerFile } from '../image/snapshot/merged_lookup.js';
import { CliExit, ExitCode } from './exit.js';

/** A resolved user: ids, and the passwd home when the user has an entry. */
export interface RunUser {
  uid: number;
  gid: number;
  home?: string;
}

/** Reads a file of the container's root (absolute path), or undefined if it is absent. */
export type RootReader = (path: string) => string | undefined;

const MAX_ID = 0xffff_ffff;

/** Split `-u` / `User` into its user and optional group parts; empty or malformed specs are a 125. */
export function splitUserSpec(spec: string): { user: string; group?: string } {
  const i = spec.indexOf(':');
  const user = i < 0 ? spec : spec.slice(0, i);
  const group = i < 0 ? undefined : spec.slice(i + 1);
  if (user === '' || group === '' || (group !== undefined && group.includes(':'))) {
    throw new CliExit(ExitCode.RUNTIME, `invalid user ${JSON.stringify(spec)}: give USER[:GROUP], each a name or a numeric id`);
  }
  return { user, group };
}

function numeric(s: string, spec: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > MAX_ID) throw new CliExit(ExitCode.RUNTIME, `invalid user ${spec}: ids are 32-bit`);
  return n;
}

/** Colon-separated records of a passwd or group file (comments and short lines skipped). */
function records(text: string | undefined, minFields: number): string[][] {
  if (text === undefined) return [];
  return text.split('\n').map((l) => l.split(':')).filter((f) => f.length >= minFields && !f[0]!.startsWith('#') && f[0] !== '');
}

/**
 * Resolve `spec` (`-u` or the image's `User`) against the container's
 * /etc/passwd and /etc/group read through `read`. An unknown name is exit 125
 * with one line naming it.
 */
export function resolveUser(spec: string, read: RootReader): RunUser {
  const { user, group } = splitUserSpec(spec);
  let passwd: string[][] | undefined;
  const pw = () => (passwd ??= records(read('/etc/passwd'), 7));
  let uid = numeric(user, spec);
  let gid = 0;
  let home: string | undefined;
  const entry = uid === undefined ? pw().find((f) => f[0] === user) : pw().find((f) => numeric(f[2]!, spec) === uid);
  if (entry) {
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    home = entry[5] || undefined;
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new CliExit(ExitCode.RUNTIME, `invalid /etc/passwd entry of user ${user} in the container`);
  } else if (uid === undefined) {
    throw new CliExit(ExitCode.RUNTIME, `unable to find user ${user}: no matching entries in the container's /etc/passwd`);
  }
  if (group !== undefined) {
    const g = numeric(group, spec);
    if (g !== undefined) gid = g;
    else {
      const rec = records(read('/etc/group'), 3).find((f) => f[0] === group);
      if (!rec || !/^\d+$/.test(rec[2]!)) throw new CliExit(ExitCode.RUNTIME, `unable to find group ${group}: no matching entries in the container's /etc/group`);
      gid = Number(rec[2]);
    }
  }
  return { uid, gid, home };
}

/** A reader over image layers (top first, as `runWasm`'s `lowers`), following symlinks inside the merged view. */
export function layersReader(lowers: readonly LayerTree[]): RootReader {
  return (path) => {
    const hit = lookupMerged(lowers, path)?.node;
    if (!hit || hit.kind !== 'file') return undefined;
    return new TextDecoder().decode(readLayerFile(hit));
  };
}

/**
 * A reader over a `--rootfs` host directory. Only plain files under plain
 * directories are read: a symlink on the way is treated as absent, so the
 * lookup never leaves the directory.
 */
export function hostRootReader(dir: string): RootReader {
  return (path) => {
    let cur = dir;
    for (const part of path.split('/').filter((p) => p !== '')) {
      cur = join(cur, part);
      try {
        if (lstatSync(cur).isSymbolicLink()) return undefined;
      } catch {
        return undefined;
      }
    }
    try {
      return readFileSync(cur, 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** A reader for an empty root (a module run from a file without --rootfs). */
export const emptyRootReader: RootReader = () => undefined;

/** `env` with `HOME` set from the user's passwd entry (or "/") when it has none. */
export function withHome(env: readonly string[], user: RunUser | undefined): string[] {
  if (user === undefined || env.some((e) => e.startsWith('HOME='))) return [...env];
  return [...env, `HOME=${user.home ?? '/'}`];
}
