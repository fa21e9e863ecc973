import { EVICTION_REASONS, type EvictionReason } from './eviction-policy';
import { KeyedPolicy } from './keyed-policy';
import { NIL, NodePool } from './node-pool';

/**
 * The policies that keep their keys in one list, oldest stored first: FIFO and LRU (a queue),
 * CLOCK and SIEVE (a circle with a hand). They differ in what a use does, where a new key goes
 * and how the victim is found. (Two classes for four policies, not four: the shadow bank calls
 * them all from one place, and V8 inlines such a call for up to four classes, not six.)
 */
abstract class ListPolicy extends KeyedPolicy {
  abstract override readonly name: 'fifo' | 'lru' | 'clock' | 'sieve';
  readonly reason: EvictionReason;
  protected readonly pool = new NodePool();
  protected readonly list = this.pool.list();

  constructor(name: 'fifo' | 'lru' | 'clock' | 'sieve', capacity: number) {
    super(capacity);
    this.reason = EVICTION_REASONS[name][0];
  }

  protected add(key: number): number {
    const node = this.pool.allocate(key);
    this.pool.linkBefore(node, this.newKeyBefore());
    return node;
  }

  protected keyOf(node: number): number {
    return this.pool.key[node];
  }

  protected drop(node: number): void {
    this.pool.unlink(node);
    this.pool.release(node);
  }

  protected dropAll(): void {
    this.pool.releaseAll(this.list);
  }

  /** The node a new key is linked before (the list itself: at the newest end). */
  protected abstract newKeyBefore(): number;
}

/**
 * FIFO, first in, first out: the oldest stored goes, and reads and writes change nothing. LRU,
 * least recently used: every read or write moves a key to the newest end.
 */
export class QueuePolicy extends ListPolicy {
  private readonly moveOnUse: boolean;

  constructor(
    readonly name: 'fifo' | 'lru',
    capacity: number,
  ) {
    super(name, capacity);
    this.moveOnUse = name === 'lru';
  }

  order(): number[] {
    return this.pool.keys(this.list);
  }

  protected used(node: number): void {
    if (this.moveOnUse) this.pool.moveToBack(node, this.list);
  }

  protected newKeyBefore(): number {
    return this.list;
  }

  protected victim(): number {
    return this.pool.isEmpty(this.list) ? NIL : this.pool.next[this.list];
  }
}

/**
 * The keys form a circle, each with a bit that a use sets, and a hand looks for the victim:
 * going round, it clears set bits and evicts the first key whose bit is clear.
 *
 * CLOCK (second chance, Corbató 1968): a new key takes its place just behind the hand, so it is
 * the last the hand reaches (a survivor is thus, in effect, moved behind the newest keys).
 *
 * SIEVE (Zhang et al., NSDI '24): the circle is a FIFO queue; a new key joins at the newest end
 * and survivors stay where they are. The hand moves from the oldest end towards the newest,
 * wraps to the oldest, and after an eviction goes on from where it stopped.
 */
export class HandPolicy extends ListPolicy {
  /** Where the next search starts; NIL: at the oldest key. */
  private hand = NIL;
  private readonly newBehindHand: boolean;

  constructor(
    readonly name: 'clock' | 'sieve',
    capacity: number,
  ) {
    super(name, capacity);
    this.newBehindHand = name === 'clock';
  }

  protected override dropAll(): void {
    super.dropAll();
    this.hand = NIL;
  }

  /**
   * Going once round from the hand, the keys whose bit is clear go first (the hand evicts them
   * as it reaches them), then those whose bit it clears on the way, in the same order.
   */
  order(): number[] {
    const { pool, list } = this;
    const clear: number[] = [];
    const set: number[] = [];
    let node = this.hand === NIL ? pool.next[list] : this.hand;
    for (let seen = 0; seen < this.size; seen++, node = pool.next[node]) {
      if (node === list) node = pool.next[list];
      (pool.tag[node] === 0 ? clear : set).push(pool.key[node]);
    }
    return clear.concat(set);
  }

  protected used(node: number): void {
    this.pool.tag[node] = 1;
  }

  protected newKeyBefore(): number {
    return this.newBehindHand && this.hand !== NIL ? this.hand : this.list;
  }

  protected victim(): number {
    const { pool, list } = this;
    if (pool.isEmpty(list)) return NIL;
    let node = this.hand === NIL ? pool.next[list] : this.hand;
    while (pool.tag[node] === 1) {
      pool.tag[node] = 0;
      node = pool.next[node];
      if (node === list) node = pool.next[list];
    }
    this.hand = node; // dropping the victim moves the hand on to the next key
    return node;
  }

  protected override drop(node: number): void {
    if (node === this.hand) {
      const next = this.pool.next[node];
      this.hand = next === this.list ? NIL : next;
    }
    super.drop(node);
  }
}
