/**
 * `wasmvisor cp SRC DEST`: copy files between a container and the host, as
 * podman cp (an exited one too: its kept layer, ../containers/stopped_fs.ts): `CONTAINER:PATH HOSTPATH`, `HOSTPATH CONTAINER:PATH`,
 * and `-` for a tar stream on stdout or stdin. Inside the container the copy
 * is done by an exec of wasm/cptar.wasm, so paths resolve through the
 * container's own VFS with its mounts (a bind mount's files are read and
 * written on the host through it).
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeTar, type TarEntry } from '../../image/build/tar_writer.js';
import { CliExit, ExitCode } from '../exit.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { extractTar, runCptar } from '../containers/guest_tar.js';
import { stoppedPut, stoppedTar } from '../containers/stopped_fs.js';
import type { RuncState } from '../../runtime/detached/state.js';

/** `CONTAINER:PATH` split, or undefined for a host path (`/x`, `./x`, `x` without a colon, `-`). */
function containerPart(arg: string): { ref: string; path: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.*)$/.exec(arg);
  if (!m) return undefined;
  return { ref: m[1]!, path: m[2] === '' ? '/' : m[2]!.startsWith('/') ? m[2]! : `/${m[2]}` };
}

/** Tar entries of host path `src`, its top entry named `top`. */
function hostEntries(src: string, top: string): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (p: string, name: string) => {
    const st = lstatSync(p);
    const meta = { mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      out.push({ path: name, type: 'dir', ...meta });
      for (const e of readdirSync(p).sort()) walk(join(p, e), `${name}/${e}`);
    } else if (st.isSymbolicLink()) out.push({ path: name, type: 'symlink', ...meta, linkname: readlinkSync(p) });
    else if (st.isFile()) out.push({ path: name, type: 'file', ...meta, data: readFileSync(p) });
  };
  walk(src, top);
  return out;
}

function running(root: string, ref: string): RuncState {
  const st = findContainer(root, ref);
  if (st.status !== 'running' && st.status !== 'paused') {
    throw new CliExit(ExitCode.RUNTIME, `container ${ref} is ${st.status}: cp works on a running or exited container (start it)`);
  }
  requireDetached(st, ref, 'cp');
  if (st.status === 'paused') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is paused: unpause it first (cp runs a process inside it)`);
  return st;
}

/** Register `cp`. */
export function register(program: Command): void {
  program.command('cp')
    .description('copy files between a container and the host (CONTAINER:PATH; - for a tar stream)')
    .argument('<src>', 'CONTAINER:PATH, a host path, or - (a tar stream on stdin)')
    .argument('<dest>', 'CONTAINER:PATH, a host path, or - (a tar stream on stdout)')
    .option('-a, --archive', 'accepted for podman compatibility (owners are not kept: files land owned by the user who runs cp)')
    .addHelpText('after', `
As podman: a source directory is copied with everything under it; when the
destination is an existing directory the source goes inside it under its own
name, else the destination is the new name. The copy inside the container
runs as root through the container's VFS (mounts included); a paused
container cannot be copied to or from. Out of an exited container, the files
are its writable layer (kept until rm) over its image, without its mounts;
into an exited container, the files go into that kept layer, and its next
start sees them (as podman; not into its mounts, not from a tar stream).

Exit status: 0; 125 if the container does not exist, is created or paused, or
a path does not exist.`)
    .action(async (src: string, dest: string, _f: unknown, c: Command) => {
      const root = containersRoot(c);
      const from = src === '-' ? undefined : containerPart(src);
      const to = dest === '-' ? undefined : containerPart(dest);
      if (from && to) throw new CliExit(ExitCode.RUNTIME, 'copying between containers is not supported: one of SRC and DEST must be a host path');
      if (!from && !to) throw new CliExit(ExitCode.RUNTIME, 'one of SRC and DEST must be CONTAINER:PATH');
      if (from) {
        let tar: Buffer;
        const stopped = findContainer(root, from.ref);
        if (stopped.status === 'stopped') {
          // an exited container: its kept writable layer over its image (stopped_fs.ts)
          requireDetached(stopped, from.ref, 'cp');
          const t = await stoppedTar(root, stopped, from.ref, from.path);
          if (t === undefined) throw new CliExit(ExitCode.RUNTIME, `${src}: no such file or directory in the container`);
          tar = Buffer.from(t);
        } else {
          const st = running(root, from.ref);
          const chunks: Buffer[] = [];
          const r = await runCptar(root, st.id, ['c', from.path], (b) => chunks.push(b));
          if (r.code === 2) throw new CliExit(ExitCode.RUNTIME, `${src}: no such file or directory in the container`);
          if (r.code !== 0) throw new CliExit(ExitCode.RUNTIME, `${src}: ${r.stderr || `copy failed (${r.code})`}`);
          tar = Buffer.concat(chunks);
        }
        if (dest === '-') {
          process.stdout.write(tar);
          return;
        }
        const host = resolve(dest);
        let isDir = false;
        try {
          isDir = statSync(host).isDirectory();
        } catch {
          isDir = false;
        }
        if (isDir) await extractTar(tar, host);
        else {
          try {
            if (!statSync(dirname(host)).isDirectory()) throw new Error();
          } catch {
            throw new CliExit(ExitCode.RUNTIME, `${dest}: no such directory ${dirname(host)} on the host`);
          }
          await extractTar(tar, dirname(host), basename(host));
        }
        return;
      }
      const into = findContainer(root, to!.ref);
      if (into.status === 'stopped') {
        // an exited container: into its kept writable layer, which its next start takes as its upper (stopped_fs.ts)
        requireDetached(into, to!.ref, 'cp');
        if (src === '-') throw new CliExit(ExitCode.RUNTIME, `container ${to!.ref} is exited: a tar stream on stdin is copied into running containers only; give a host path, or start it first`);
        const host = resolve(src);
        try {
          lstatSync(host);
        } catch {
          throw new CliExit(ExitCode.RUNTIME, `${src}: no such file or directory on the host`);
        }
        const missing = await stoppedPut(root, into, to!.ref, to!.path, basename(host), (name) => hostEntries(host, name));
        if (missing !== undefined) throw new CliExit(ExitCode.RUNTIME, `${dest}: no such directory ${missing} in the container`);
        return;
      }
      const st = running(root, to!.ref);
      const put = async (dir: string, tar: Uint8Array) => runCptar(root, st.id, ['x', dir], () => {}, tar);
      if (src === '-') {
        const tar = await new Promise<Buffer>((res) => {
          const parts: Buffer[] = [];
          process.stdin.on('data', (d: Buffer) => parts.push(d)).on('end', () => res(Buffer.concat(parts)));
        });
        const r = await put(to!.path, tar);
        if (r.code === 2 || r.code === 3) throw new CliExit(ExitCode.RUNTIME, `${dest}: no such directory in the container (a tar stream is unpacked into a directory)`);
        if (r.code !== 0) throw new CliExit(ExitCode.RUNTIME, `${dest}: ${r.stderr || `copy failed (${r.code})`}`);
        return;
      }
      const host = resolve(src);
      try {
        lstatSync(host);
      } catch {
        throw new CliExit(ExitCode.RUNTIME, `${src}: no such file or directory on the host`);
      }
      // into DEST if it is a directory there, else as DEST itself
      let r = await put(to!.path, writeTar(hostEntries(host, basename(host))));
      if (r.code === 2 || r.code === 3) {
        const parent = to!.path.replace(/\/[^/]*\/?$/, '') || '/';
        const name = basename(to!.path.replace(/\/+$/, ''));
        r = await put(parent, writeTar(hostEntries(host, name)));
        if (r.code === 2 || r.code === 3) throw new CliExit(ExitCode.RUNTIME, `${dest}: no such directory ${parent} in the container`);
      }
      if (r.code !== 0) throw new CliExit(ExitCode.RUNTIME, `${dest}: ${r.stderr || `copy failed (${r.code})`}`);
    });
}
