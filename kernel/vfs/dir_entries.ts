/**
 * A directory's name → value map that keeps readdir cookies valid while it
 * changes. Each name gets a sequence number when it is inserted (numbers
 * only grow); a readdir cookie is "the seq of the last entry returned", so
 * resuming lists exactly the entries with a larger seq. An entry removed
 * during iteration is simply not listed; one that survives is listed once;
 * replacing the value of an existing name (rename over it) keeps its seq.
 */
import { FIRST_SEQ } from './inode.js';

/** One entry with its position. */
export interface SeqEntry<T> {
  readonly name: string;
  value: T;
  readonly seq: number;
  live: boolean;
}

/** Insertion-ordered entries with stable cookies and O(log n) resume. */
export class DirEntries<T> {
  private readonly map = new Map<string, SeqEntry<T>>();
  /** Entries in seq order, including dead ones until compaction. */
  private order: SeqEntry<T>[] = [];
  private dead = 0;
  private nextSeq = FIRST_SEQ;

  /** Number of live entries. */
  get size(): number {
    return this.map.size;
  }

  /** Value stored under `name`. */
  get(name: string): T | undefined {
    const e = this.map.get(name);
    return e === undefined ? undefined : e.value;
  }

  /** True if `name` is present. */
  has(name: string): boolean {
    return this.map.has(name);
  }

  /** Insert or replace; a replaced name keeps its position. */
  set(name: string, value: T): void {
    const e = this.map.get(name);
    if (e !== undefined) {
      e.value = value;
      return;
    }
    const ne: SeqEntry<T> = { name, value, seq: this.nextSeq++, live: true };
    this.map.set(name, ne);
    this.order.push(ne);
  }

  /** Remove `name`; returns true if it was present. */
  delete(name: string): boolean {
    const e = this.map.get(name);
    if (e === undefined) return false;
    this.map.delete(name);
    e.live = false;
    this.dead++;
    if (this.dead > 32 && this.dead * 2 > this.order.length) {
      this.order = this.order.filter((x) => x.live);
      this.dead = 0;
    }
    return true;
  }

  /** Live entries with `seq > after`, at most `max`. */
  after(after: number, max: number): SeqEntry<T>[] {
    const order = this.order;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid].seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: SeqEntry<T>[] = [];
    for (let i = lo; i < order.length && out.length < max; i++) if (order[i].live) out.push(order[i]);
    return out;
  }

  /** Live names and values in seq order. */
  *entries(): IterableIterator<[string, T]> {
    for (const [name, e] of this.map) yield [name, e.value];
  }
}
