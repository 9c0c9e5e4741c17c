/**
 * readdir of a host directory without re-reading it: each listing (a
 * rewind to cookie 0 starts one) streams the host directory and keeps the
 * names it has read so far, so a call costs what it returns, whatever the
 * directory's size. A cookie names its listing and position
 * (`FIRST_SEQ + gen * SPAN + index`); a directory keeps its last LISTINGS
 * listings, and a cookie of an older one, or one past what was handed out,
 * lists nothing (end of directory). Open host streams are bounded per
 * mount (STREAMS): a listing whose stream was closed re-opens it and skips
 * what it had read, the one case that costs the listing's length.
 * Entries added or removed during a listing may or may not be seen, as POSIX
 * allows. A `sorted` lister (a deterministic run) reads the whole directory
 * when a listing starts and hands its names out sorted (byte order), so two
 * runs list the same order whatever the host's.
 */
import { FIRST_SEQ } from '../vfs/inode.js';
import type { HostDirent, HostFs } from '../host.js';

/** Positions per listing. */
const SPAN = 2 ** 26;
/** Listings kept per directory. */
const LISTINGS = 4;
/** Open host directory streams per mount. */
export const STREAMS = 16;
/** Names read from the host per step. */
const CHUNK = 256;

interface Listing {
  readonly gen: number;
  readonly names: HostDirent[];
  done: boolean;
}

/** One entry and its cookie. */
export interface ListedName extends HostDirent {
  seq: number;
}

/** The listings of one host directory. */
export class HostLister {
  private readonly lists = new Map<number, Listing>();
  private nextGen = 0;

  /** `streams`: the mount's open streams by listing, least recently used first. */
  constructor(private readonly host: HostFs, private readonly streams: Map<object, number>, private readonly sorted = false) {}

  /** Names after cookie `after` (< FIRST_SEQ: from the start, a new listing), at most `max`. */
  list(dir: number, after: number, max: number): ListedName[] {
    let l: Listing | undefined;
    let start: number;
    if (after < FIRST_SEQ) {
      l = { gen: this.nextGen, names: [], done: false };
      this.nextGen = (this.nextGen + 1) % SPAN;
      this.lists.set(l.gen, l);
      if (this.lists.size > LISTINGS) this.drop(this.lists.keys().next().value as number);
      start = 0;
      if (this.sorted) {
        while (!l.done) this.more(dir, l, CHUNK);
        l.names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
    } else {
      const rel = after - FIRST_SEQ;
      l = this.lists.get(Math.floor(rel / SPAN));
      start = (rel % SPAN) + 1;
      if (l === undefined || start > l.names.length) return [];
    }
    const end = Math.min(start + max, SPAN);
    while (l.names.length < end && !l.done) this.more(dir, l, Math.min(CHUNK, end - l.names.length));
    const out: ListedName[] = [];
    const base = FIRST_SEQ + l.gen * SPAN;
    for (let i = start; i < end && i < l.names.length; i++) out.push({ ...l.names[i]!, seq: base + i });
    return out;
  }

  /** Read up to `n` more names of listing `l` from its host stream. */
  private more(dir: number, l: Listing, n: number): void {
    let s = this.streams.get(l);
    if (s === undefined) {
      s = this.host.openDirStream(dir);
      // A re-opened stream skips what the listing already holds.
      for (let skip = l.names.length; skip > 0; ) {
        const got = this.host.readDirStream(s, Math.min(skip, CHUNK)).length;
        if (got === 0) break;
        skip -= got;
      }
      this.streams.set(l, s);
      if (this.streams.size > STREAMS) {
        const [old, os] = this.streams.entries().next().value as [object, number];
        this.streams.delete(old);
        this.host.closeDirStream(os);
      }
    } else {
      this.streams.delete(l);
      this.streams.set(l, s);
    }
    const names = this.host.readDirStream(s, n);
    for (const e of names) l.names.push(e);
    if (names.length < n) {
      l.done = true;
      this.streams.delete(l);
      this.host.closeDirStream(s);
    }
  }

  private drop(gen: number): void {
    const l = this.lists.get(gen);
    this.lists.delete(gen);
    if (l === undefined) return;
    const s = this.streams.get(l);
    if (s !== undefined) {
      this.streams.delete(l);
      this.host.closeDirStream(s);
    }
  }
}
