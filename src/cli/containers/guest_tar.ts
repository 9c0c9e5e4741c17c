/**
 * Files in and out of a running detached container for `cp` and `export`:
 * an exec of `wasm/cptar.wasm` inside the container (so paths resolve
 * through the container's own VFS, its mounts and its permissions), whose
 * stdout is a tar stream of a path (`cptar c`) or whose stdin is one to
 * unpack (`cptar x`). On the host side, a tar is unpacked under a
 * directory by `extractTar`, which refuses entries that would land outside
 * it (absolute names, `..`, a path through a symlink).
 */
import { existsSync, lstatSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extract as tarExtract } from 'tar-stream';
import { request, sendLine, type ExecLine } from '../../runtime/detached/control.js';
import { DetachedContainer } from '../../runtime/lifecycle/container.js';
import { CliExit, ExitCode } from '../exit.js';

/** The built guest program (wasm/cptar.wasm), from src/ or dist/src/. */
export function cptarPath(): string {
  for (const rel of ['../../../wasm/cptar.wasm', '../../../../wasm/cptar.wasm']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new CliExit(ExitCode.RUNTIME, 'wasm/cptar.wasm is missing from this installation: reinstall wasmvisor');
}

/** What a guest exec ended with. */
export interface GuestResult {
  code: number;
  stderr: string;
}

/** Chunks of stdin sent per line on the exec connection. */
const CHUNK = 48 * 1024;

/**
 * Run `cptar ARGS` in container `id` as root: `input` goes to its stdin
 * (then EOF), each stdout chunk to `onOut`. Resolves with its exit code and
 * stderr.
 */
export async function runCptar(root: string, id: string, args: string[], onOut: (b: Buffer) => void, input?: Uint8Array): Promise<GuestResult> {
  const c = DetachedContainer.load(root, id);
  const { reply, sock, rest } = await request(c.socket, {
    op: 'exec', relayPid: process.pid, module: cptarPath(),
    process: { args: ['cptar', ...args], cwd: '/', env: [], user: { uid: 0, gid: 0 } },
  });
  if (!reply.ok) {
    sock.destroy();
    throw new CliExit(ExitCode.RUNTIME, reply.error);
  }
  let stderr = '';
  const done = new Promise<number>((res) => {
    rest((m) => {
      const l = m as ExecLine;
      if (l.t === 'out') {
        const b = Buffer.from(l.data, 'base64');
        if (l.fd === 1) onOut(b);
        else if (stderr.length < 4096) stderr += b.toString('utf8');
      } else if (l.t === 'exit') res(l.code);
    });
    sock.once('close', () => res(255));
  });
  if (input) for (let off = 0; off < input.length; off += CHUNK) sendLine(sock, { t: 'in', data: Buffer.from(input.subarray(off, off + CHUNK)).toString('base64') } satisfies ExecLine);
  sendLine(sock, { t: 'eof' } satisfies ExecLine);
  const code = await done;
  sock.destroy();
  return { code, stderr: stderr.trim().replace(/^cptar: /, '') };
}

/** True if `p` lies in `base` (both real paths). */
function inside(base: string, p: string): boolean {
  const r = relative(base, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * Unpack tar `data` under host directory `dest`, the first path component
 * of every entry replaced by `top` when given; 125 for an entry that would
 * land outside `dest`.
 */
export async function extractTar(data: Uint8Array, dest: string, top?: string): Promise<void> {
  const base = realpathSync(dest);
  const ex = tarExtract();
  const finished = new Promise<void>((res, rej) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: unknown) => chunks.push(d as Buffer));
      stream.on('end', () => {
        try {
          let name = h.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
          if (top !== undefined) name = name === '.' || name === '' ? top : [top, ...name.split('/').slice(1)].join('/');
          if (name === '' || name === '.') name = '.';
          if (isAbsolute(name) || name.split('/').includes('..')) throw new CliExit(ExitCode.RUNTIME, `refusing tar entry ${JSON.stringify(h.name)}: absolute or with ..`);
          const target = resolve(base, name);
          // the parent must resolve inside dest (no symlink made earlier may lead out)
          const parent = dirname(target);
          if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
          if (!inside(base, realpathSync(parent)) || (target !== base && !inside(base, target))) throw new CliExit(ExitCode.RUNTIME, `refusing tar entry ${JSON.stringify(h.name)}: it leads outside ${dest}`);
          let exists = false;
          try {
            exists = lstatSync(target) !== undefined;
          } catch {
            exists = false;
          }
          if (exists && lstatSync(target).isSymbolicLink()) throw new CliExit(ExitCode.RUNTIME, `refusing to write through the symlink ${target}`);
          if (h.type === 'directory') {
            if (!exists) mkdirSync(target, { mode: h.mode || 0o755 });
          } else if (h.type === 'symlink') {
            if (!exists) symlinkSync(h.linkname ?? '', target);
          } else if (h.type === 'file' || h.type === 'contiguous-file') {
            writeFileSync(target, Buffer.concat(chunks), { mode: h.mode || 0o644 });
          }
          next();
        } catch (err) {
          rej(err);
          ex.destroy();
        }
      });
      stream.resume();
    });
    ex.on('finish', () => res());
    ex.on('error', rej);
  });
  ex.end(Buffer.from(data));
  await finished;
}

/** Separator-safe join for container paths. */
export function ctrJoin(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`.replace(/^\/\//, '/') || '/';
}
