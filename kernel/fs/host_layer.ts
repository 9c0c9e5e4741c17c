/**
 * A LayerTree read from a host directory (for `--rootfs DIR`: a host
 * directory as the read-only lower of an overlay, never modified). The
 * metadata is read once, eagerly; file bytes are read from the host on
 * demand (the lazy form of `LayerFile.data`). Host hard links become one
 * node; host devices, fifos and sockets are skipped. Symlinks are copied as
 * they are and resolved later inside the container, never on the host.
 */
import type { HostFs, HostStat } from '../host.js';
import type { LayerDir, LayerFile, LayerNode, LayerTree } from './layer_tree.js';

function meta(st: HostStat) {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeNs: st.mtimeNs };
}

/** Build a LayerTree of host directory `root` (absolute path). */
export function layerTreeFromHost(host: HostFs, root: string, id = `host:${root}`): LayerTree {
  const files = new Map<string, LayerFile>();
  let bytes = 0;
  const reader = (path: string) => (offset: number, length: number): Uint8Array => {
    const h = host.open(path, 'r', 0);
    try {
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
  const walk = (path: string, st: HostStat): LayerDir => {
    const entries = new Map<string, LayerNode>();
    for (const name of host.readdir(path).sort()) {
      const p = `${path}/${name}`;
      const cst = host.lstat(p);
      if (cst.kind === 'dir') entries.set(name, walk(p, cst));
      else if (cst.kind === 'symlink') entries.set(name, { kind: 'symlink', ...meta(cst), target: host.readlink(p) });
      else if (cst.kind === 'file') {
        const key = `${cst.dev}:${cst.ino}`;
        let f = files.get(key);
        if (f === undefined) {
          f = { kind: 'file', ...meta(cst), size: Number(cst.size), data: reader(p) };
          files.set(key, f);
          bytes += f.size;
        }
        entries.set(name, f);
      }
    }
    return { kind: 'dir', ...meta(st), entries };
  };
  return { id, root: walk(root, host.lstat(root)), bytes, hostPath: root };
}
