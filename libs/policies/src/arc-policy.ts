import { type EvictionPolicy, checkedCapacity } from './eviction-policy';
import { KeyIndex } from './key-index';
import { NIL, NodePool } from './node-pool';

/** ARC's four lists: T1 and T2 hold the cached keys, B1 and B2 the ghosts evicted from them. */
const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;

/**
 * ARC, the Adaptive Replacement Cache (Megiddo and Modha, FAST '03). T1 holds keys used once
 * since they were stored, T2 keys used again, both least recent first; B1 and B2 remember the
 * keys last evicted from each (ghosts, at most the capacity in all). A new key goes to T1, a
 * used one to T2. The target size `p` of T1 adapts: a key stored again while a B1 ghost says
 * recency would have kept it (p grows), a B2 ghost says frequency would have (p shrinks); the
 * victim is the least recent key of T1 while T1 exceeds p, otherwise of T2.
 *
 * The paper's cases map onto the cache's calls: a hit (case I) is `read` or `written`; a miss
 * (cases II to IV) is `insert`, which adapts p for a ghost, calls REPLACE when the cache is full
 * (it may not be: the cache removes keys too) and trims the ghosts for a new key.
 */
export class ArcPolicy implements EvictionPolicy {
  readonly name = 'arc';
  /** The list the latest victim left. */
  reason: 'arc-t1' | 'arc-t2' = 'arc-t1';
  private readonly pool = new NodePool();
  private readonly index = new KeyIndex();
  private readonly lists = [this.pool.list(), this.pool.list(), this.pool.list(), this.pool.list()];
  private readonly lengths = new Int32Array(4);
  private p = 0;
  private c: number;

  constructor(capacity: number) {
    this.c = checkedCapacity(capacity);
  }

  get capacity(): number {
    return this.c;
  }

  get size(): number {
    return this.lengths[T1] + this.lengths[T2];
  }

  /** The adaptive target size of T1 (the paper's p), 0..capacity. */
  get target(): number {
    return this.p;
  }

  has(key: number): boolean {
    const node = this.index.get(key);
    return node !== NIL && this.pool.tag[node] <= T2;
  }

  insert(key: number): number | undefined {
    const node = this.index.get(key);
    const list = node === NIL ? NIL : this.pool.tag[node];
    if (list === T1 || list === T2) throw new Error(`key ${key} is already cached`);
    const ghost = list === B1 || list === B2;
    if (ghost) this.adapt(list);
    const evicted = this.size >= this.c ? this.replace(list === B2) : undefined;
    if (ghost) {
      this.move(node, T2);
    } else {
      this.trimGhosts();
      const fresh = this.pool.allocate(key);
      this.pool.tag[fresh] = T1;
      this.pool.linkBefore(fresh, this.lists[T1]);
      this.lengths[T1]++;
      this.index.set(key, fresh);
    }
    return evicted;
  }

  read(key: number): boolean {
    const node = this.index.get(key);
    if (node === NIL || this.pool.tag[node] > T2) return false;
    this.move(node, T2);
    return true;
  }

  written(key: number): boolean {
    return this.read(key);
  }

  removed(key: number): void {
    const node = this.index.get(key);
    if (node !== NIL && this.pool.tag[node] <= T2) this.forget(node);
  }

  cleared(): void {
    for (const list of this.lists) this.pool.releaseAll(list);
    this.lengths.fill(0);
    this.index.clear();
    this.p = 0;
  }

  evict(): number | undefined {
    return this.size === 0 ? undefined : this.replace(false);
  }

  /**
   * Shrinking evicts by REPLACE until the cached keys fit, then caps the target at the new
   * capacity and forgets the oldest ghosts until the lists' bounds hold again (|T1|+|B1| <= c,
   * all four <= 2c). Growing keeps everything.
   */
  resize(capacity: number): number[] {
    const c = checkedCapacity(capacity);
    const evicted: number[] = [];
    while (this.size > c) evicted.push(this.replace(false));
    this.c = c;
    this.p = Math.min(this.p, c);
    while (this.lengths[T1] + this.lengths[B1] > c) this.forget(this.pool.next[this.lists[B1]]);
    while (this.size + this.lengths[B1] + this.lengths[B2] > 2 * c) {
      this.forget(this.pool.next[this.lists[B2]]);
    }
    return evicted;
  }

  order(): number[] {
    const once = this.pool.keys(this.lists[T1]);
    const again = this.pool.keys(this.lists[T2]);
    const order: number[] = [];
    let i = 0;
    let j = 0;
    while (i < once.length || j < again.length) {
      if (this.fromT1(once.length - i, again.length - j, false)) order.push(once[i++]);
      else order.push(again[j++]);
    }
    return order;
  }

  /** REPLACE: the least recent key of T1 or T2 becomes a ghost; returns it. */
  private replace(incomingInB2: boolean): number {
    const from = this.fromT1(this.lengths[T1], this.lengths[T2], incomingInB2) ? T1 : T2;
    this.reason = from === T1 ? 'arc-t1' : 'arc-t2';
    const victim = this.pool.next[this.lists[from]];
    this.move(victim, from === T1 ? B1 : B2);
    return this.pool.key[victim];
  }

  /** REPLACE's choice: T1 while over its target (or at it, for a B2 ghost), or if T2 is empty. */
  private fromT1(t1: number, t2: number, incomingInB2: boolean): boolean {
    return t1 >= 1 && (t1 > this.p || (incomingInB2 && t1 === this.p) || t2 === 0);
  }

  /** Cases II and III: a B1 ghost moves the target up, a B2 ghost down, by the lists' ratio. */
  private adapt(ghosts: number): void {
    const b1 = this.lengths[B1];
    const b2 = this.lengths[B2];
    if (ghosts === B1) this.p = Math.min(this.c, this.p + (b1 >= b2 ? 1 : b2 / b1));
    else this.p = Math.max(0, this.p - (b2 >= b1 ? 1 : b1 / b2));
  }

  /**
   * Case IV: room in the ghosts for a new key, so that |T1|+|B1| <= c and all four <= 2c. The
   * list trimmed is never empty: by then T1 and T2 each hold fewer than c keys (the cache had
   * room, or REPLACE just made some), so the condition that picks B1 or B2 implies a ghost in it.
   */
  private trimGhosts(): void {
    const t1 = this.lengths[T1];
    const b1 = this.lengths[B1];
    if (t1 + b1 >= this.c) {
      this.forget(this.pool.next[this.lists[B1]]);
    } else if (t1 + b1 + this.lengths[T2] + this.lengths[B2] >= 2 * this.c) {
      this.forget(this.pool.next[this.lists[B2]]);
    }
  }

  /** Moves a node to the most recent end of `list`. */
  private move(node: number, list: number): void {
    this.lengths[this.pool.tag[node]]--;
    this.pool.moveToBack(node, this.lists[list]);
    this.pool.tag[node] = list;
    this.lengths[list]++;
  }

  private forget(node: number): void {
    this.lengths[this.pool.tag[node]]--;
    this.pool.unlink(node);
    this.index.delete(this.pool.key[node]);
    this.pool.release(node);
  }
}
