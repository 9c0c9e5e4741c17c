/**
 * A LayerTree read from a host directory (for `--rootfs DIR`: a host
 * directory as the read-only lower of an overlay, never modified). The
 * metadata is read once, eagerly; file bytes are read from the host on
 * demand (the lazy form of `LayerFile.data`). Host hard links become one
 * node; host devices, fifos and sockets are skipped. Symlinks are copied as
 * they are and resolved later inside the container, never on the host.
 *
 * Every host access is (directory handle, name), as hostfs does: the tree
 * holds the root's handle, and a read re-opens the file's directory from
 * there one name at a time through host_dirs.ts (dev/ino checked at each
 * step, O_NOFOLLOW), then the file, whose dev/ino must be the ones recorded.
 * A rootfs directory later replaced by a symlink (through a bind of the
 * same host directory, by another container or a host process) reads as
 * ENOENT, never as the symlink's target.
 */
import { E } from '../errno.js';
import type { HostFs, HostStat } from '../host.js';
import { HostDirCache, type HostDirNode, isPlainName } from './host_dirs.js';
import type { LayerDir, LayerFile, LayerTree } from './layer_tree.js';

/** Directory handles a host layer keeps open. */
const LAYER_DIR_HANDLES = 16;

function meta(st: HostStat) {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeNs: st.mtimeNs };
}

/**
 * Build a LayerTree of host directory `root` (absolute path). The tree holds
 * host handles until its `close()`, which whoever built it calls when the
 * last container using it is gone; reads after that fail (EIO).
 */
export function layerTreeFromHost(host: HostFs, root: string, id = `host:${root}`): LayerTree {
  const rootHandle = host.openDir(root);
  let rst: HostStat;
  try {
    rst = host.fstat(rootHandle);
  } catch (e) {
    host.close(rootHandle);
    throw e;
  }
  const rootNode: HostDirNode = { parent: null, name: '', dev: rst.dev, ino: rst.ino };
  const dirs = new HostDirCache(host, rootNode, rootHandle, LAYER_DIR_HANDLES);
  try {
    return readTree(host, dirs, rootNode, rst, root, id);
  } catch (e) {
    dirs.close();
    throw e;
  }
}

function readTree(host: HostFs, dirs: HostDirCache, rootNode: HostDirNode, rst: HostStat, root: string, id: string): LayerTree {
  const files = new Map<string, LayerFile>();
  let bytes = 0;

  const reader = (dir: HostDirNode, name: string, st: HostStat) => (offset: number, length: number): Uint8Array => {
    const h = host.openAt(dirs.handle(dir), name, 'r', 0);
    try {
      const now = host.fstat(h);
      if (now.dev !== st.dev || now.ino !== st.ino) throw E.NOENT;
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = host.pread(h, buf.subarray(done), offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? buf : buf.subarray(0, done);
    } finally {
      host.close(h);
    }
  };

  // Iterative: a host tree can be deeper than the JS stack.
  const top: LayerDir = { kind: 'dir', ...meta(rst), entries: new Map() };
  const todo: [HostDirNode, LayerDir][] = [[rootNode, top]];
  while (todo.length > 0) {
    const [node, out] = todo.pop()!;
    const s = host.openDirStream(dirs.handle(node));
    const names: string[] = [];
    try {
      for (let got = host.readDirStream(s, 1024); got.length > 0; got = host.readDirStream(s, 1024)) for (const e of got) names.push(e.name);
    } finally {
      host.closeDirStream(s);
    }
    for (const name of names.sort()) {
      if (!isPlainName(name)) continue;
      const cst = host.statAt(dirs.handle(node), name);
      if (cst.kind === 'dir') {
        const d: LayerDir = { kind: 'dir', ...meta(cst), entries: new Map() };
        out.entries.set(name, d);
        todo.push([{ parent: node, name, dev: cst.dev, ino: cst.ino }, d]);
      } else if (cst.kind === 'symlink') {
        out.entries.set(name, { kind: 'symlink', ...meta(cst), target: host.readlinkAt(dirs.handle(node), name) });
      } else if (cst.kind === 'file') {
        const key = `${cst.dev}:${cst.ino}`;
        let f = files.get(key);
        if (f === undefined) {
          f = { kind: 'file', ...meta(cst), size: Number(cst.size), data: reader(node, name, cst) };
          files.set(key, f);
          bytes += f.size;
        }
        out.entries.set(name, f);
      }
    }
  }
  return { id, root: top, bytes, hostPath: root, close: () => dirs.close() };
}
