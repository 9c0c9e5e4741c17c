/**
 * `files` of `runProgram`: a plain object as a read-only image layer (the
 * container root's lower; what the program writes goes to its private
 * upper, which `fs.diff()` lists). Isomorphic.
 *
 *     { '/etc/app.conf': 'x=1',          // a file (text, UTF-8)
 *       '/bin/data': new Uint8Array(8),  // a file (bytes)
 *       '/data/': {},                    // an empty directory (a trailing '/' or an object)
 *       '/srv': { 'a.txt': 'A', 'sub': { 'b': 'B' } },  // a directory with entries
 *       '/run/x': file('#!', { mode: 0o755 }) }          // a file with a mode
 *
 * The layer is built once per object and reused while the object lives
 * (`WeakMap`), so a test that runs a program a thousand times over the same
 * files builds them once. Do not change an object after its first run.
 */
import { emptyLayerDir, type LayerDir, type LayerNode, type LayerTree } from '../../kernel/fs/layer_tree.js';

/** A file with its own mode (and owner). */
export interface FileEntry {
  readonly content: string | Uint8Array;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A directory's entries: names (or absolute paths, at the top) to files and directories. */
export interface FileTree {
  readonly [path: string]: string | Uint8Array | FileEntry | FileTree;
}

/** Why `files` was refused; the message names the path. */
export class FilesError extends Error {
  readonly code = 'BAD_FILES';
  constructor(message: string) {
    super(message);
    this.name = 'FilesError';
  }
}

const ENC = new TextEncoder();
const FILE_MARK = Symbol('wasmvisor.file');

/** A file with a mode or owner: `file('#!/bin/sh', { mode: 0o755 })`. */
export function file(content: string | Uint8Array, opts: { mode?: number; uid?: number; gid?: number } = {}): FileEntry {
  return Object.assign(Object.create(null) as object, { [FILE_MARK]: true, content, ...opts }) as FileEntry;
}

function isFileEntry(v: unknown): v is FileEntry {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[FILE_MARK] === true;
}

/** Times of the files: 2000-01-01T00:00:00Z, the same on every run. */
const MTIME = 946_684_800_000_000_000n;

const cache = new WeakMap<FileTree, LayerTree>();

/** The layer of `tree` (built once per object). Throws FilesError. */
export function layerFromFiles(tree: FileTree): LayerTree {
  let layer = cache.get(tree);
  if (layer === undefined) {
    layer = buildLayer(tree);
    cache.set(tree, layer);
  }
  return layer;
}

function buildLayer(tree: FileTree): LayerTree {
  const root: LayerDir = { ...emptyLayerDir(), mtimeNs: MTIME };
  let bytes = 0;
  const dirAt = (parts: string[], path: string): LayerDir => {
    let d = root;
    for (const p of parts) {
      let next = d.entries.get(p);
      if (next === undefined) {
        next = { ...emptyLayerDir(), mtimeNs: MTIME };
        d.entries.set(p, next);
      }
      if (next.kind !== 'dir') throw new FilesError(`files: ${path}: ${p} is a file, not a directory`);
      d = next;
    }
    return d;
  };
  const put = (dir: LayerDir, name: string, value: FileTree[string], path: string): void => {
    if (name === '' || name === '.' || name === '..' || name.length > 255) throw new FilesError(`files: ${path}: not a valid name`);
    if (typeof value === 'string' || value instanceof Uint8Array || isFileEntry(value)) {
      if (dir.entries.has(name)) throw new FilesError(`files: ${path} is given twice`);
      const content = typeof value === 'string' || value instanceof Uint8Array ? value : value.content;
      const data = typeof content === 'string' ? ENC.encode(content) : content.slice();
      const meta: Partial<FileEntry> = isFileEntry(value) ? value : {};
      const mode = meta.mode ?? 0o644;
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new FilesError(`files: ${path}: mode must be from 0 to 0o7777`);
      dir.entries.set(name, { kind: 'file', mode, uid: meta.uid ?? 0, gid: meta.gid ?? 0, mtimeNs: MTIME, size: data.length, data });
      bytes += data.length;
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FilesError(`files: ${path}: give text, bytes, file(...) or an object (a directory)`);
    const existing = dir.entries.get(name);
    if (existing !== undefined && existing.kind !== 'dir') throw new FilesError(`files: ${path} is a file, not a directory`);
    const sub = existing ?? { ...emptyLayerDir(), mtimeNs: MTIME };
    dir.entries.set(name, sub);
    for (const [k, v] of Object.entries(value)) put(sub as LayerDir, k, v, `${path}/${k}`);
  };
  for (const [key, value] of Object.entries(tree)) {
    if (!key.startsWith('/')) throw new FilesError(`files: ${key}: paths at the top must be absolute (/etc/app.conf)`);
    const parts = key.split('/').filter((p) => p !== '');
    if (parts.length === 0) throw new FilesError('files: "/" itself cannot be given; name paths below it');
    if (parts.some((p) => p === '.' || p === '..')) throw new FilesError(`files: ${key}: no "." or ".." components`);
    const isDir = key.endsWith('/');
    if (isDir && (typeof value !== 'object' || value instanceof Uint8Array || isFileEntry(value))) throw new FilesError(`files: ${key} ends in "/" (a directory): give {} or its entries`);
    put(dirAt(parts.slice(0, -1), key), parts[parts.length - 1]!, value, `/${parts.join('/')}`);
  }
  sortDirs(root);
  return { id: `files:${layerSerial++}`, root, bytes };
}

let layerSerial = 1;

/** LayerDir entries are sorted by name (layer_tree.ts). */
function sortDirs(d: LayerDir): void {
  const sorted = [...d.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  d.entries = new Map(sorted);
  for (const [, n] of sorted) if ((n as LayerNode).kind === 'dir') sortDirs(n as LayerDir);
}
