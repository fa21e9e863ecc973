import { KeyedPolicy } from './keyed-policy';
import { NIL, NodePool } from './node-pool';

/**
 * Least frequently used: the key with the fewest uses since it was stored goes (its insertion
 * counts as one); among equals, the one whose count reached its value first, that is the least
 * recently used of them. O(1) per operation with frequency buckets (Shah, Mitra and Matani, "An
 * O(1) algorithm for implementing the LFU cache eviction scheme", 2010): one bucket per count in
 * use, chained in increasing count, each a queue of its keys. A count lives as long as its key
 * is cached.
 */
export class LfuPolicy extends KeyedPolicy {
  readonly name = 'lfu';
  readonly reason = 'least-frequent';
  /** Key nodes (`tag`: their bucket) and, as sentinels, each bucket's queue. */
  private readonly nodes = new NodePool();
  /** Bucket nodes in increasing count (`count`: the uses; `tag`: the sentinel of its queue). */
  private readonly buckets = new NodePool();
  private readonly chain = this.buckets.list();

  order(): number[] {
    const keys: number[] = [];
    for (let bucket = this.lowest(); bucket !== NIL; bucket = this.higher(bucket)) {
      this.nodes.keys(this.buckets.tag[bucket], keys);
    }
    return keys;
  }

  protected add(key: number): number {
    const lowest = this.lowest();
    const bucket = lowest !== NIL && this.buckets.count[lowest] === 1 ? lowest : this.bucket(1);
    const node = this.nodes.allocate(key);
    this.nodes.tag[node] = bucket;
    this.nodes.linkBefore(node, this.buckets.tag[bucket]);
    return node;
  }

  protected used(node: number): void {
    const { buckets, nodes } = this;
    const from = nodes.tag[node];
    const count = buckets.count[from] + 1;
    const higher = this.higher(from);
    const joins = higher !== NIL && buckets.count[higher] === count;
    if (!joins && nodes.prev[node] === nodes.next[node]) {
      // Alone in its bucket, and no bucket for the new count: the bucket moves up with it.
      buckets.count[from] = count;
      return;
    }
    const to = joins ? higher : this.bucket(count, buckets.next[from]);
    nodes.moveToBack(node, buckets.tag[to]);
    nodes.tag[node] = to;
    this.dropIfEmpty(from);
  }

  protected victim(): number {
    const lowest = this.lowest();
    return lowest === NIL ? NIL : this.nodes.next[this.buckets.tag[lowest]];
  }

  protected keyOf(node: number): number {
    return this.nodes.key[node];
  }

  protected drop(node: number): void {
    const bucket = this.nodes.tag[node];
    this.nodes.unlink(node);
    this.nodes.release(node);
    this.dropIfEmpty(bucket);
  }

  protected dropAll(): void {
    for (let bucket = this.lowest(); bucket !== NIL; bucket = this.higher(bucket)) {
      this.nodes.releaseAll(this.buckets.tag[bucket]);
      this.nodes.release(this.buckets.tag[bucket]);
    }
    this.buckets.releaseAll(this.chain);
  }

  /** The bucket of the lowest count, or NIL. */
  private lowest(): number {
    const first = this.buckets.next[this.chain];
    return first === this.chain ? NIL : first;
  }

  /** The bucket of the next higher count, or NIL. */
  private higher(bucket: number): number {
    const next = this.buckets.next[bucket];
    return next === this.chain ? NIL : next;
  }

  /** A new, empty bucket for `count`, chained before `before` (by default at the lowest end). */
  private bucket(count: number, before = this.buckets.next[this.chain]): number {
    const bucket = this.buckets.allocate(NIL);
    this.buckets.count[bucket] = count;
    this.buckets.tag[bucket] = this.nodes.list();
    this.buckets.linkBefore(bucket, before);
    return bucket;
  }

  private dropIfEmpty(bucket: number): void {
    const queue = this.buckets.tag[bucket];
    if (!this.nodes.isEmpty(queue)) return;
    this.nodes.release(queue);
    this.buckets.unlink(bucket);
    this.buckets.release(bucket);
  }
}
