import { type EvictionPolicy, checkedCapacity } from './eviction-policy';
import { KeyIndex } from './key-index';
import { NIL, NodePool } from './node-pool';

/**
 * Least frequently used: the key with the fewest uses since it was stored goes (its insertion
 * counts as one); among equals, the one whose count reached its value first, that is the least
 * recently used of them. O(1) per operation with frequency buckets (Shah, Mitra and Matani, "An
 * O(1) algorithm for implementing the LFU cache eviction scheme", 2010): one bucket per count in
 * use, chained in increasing count, each a queue of its keys. A count lives as long as its key
 * is cached.
 */
export class LfuPolicy implements EvictionPolicy {
  readonly name = 'lfu';
  readonly reason = 'least-frequent';
  /** Key nodes (`tag`: their bucket) and, as sentinels, each bucket's queue. */
  private readonly nodes = new NodePool();
  /** Bucket nodes in increasing count (`count`: the uses; `tag`: the sentinel of its queue). */
  private readonly buckets = new NodePool();
  private readonly chain = this.buckets.list();
  private readonly index = new KeyIndex();
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = checkedCapacity(capacity);
  }

  get size(): number {
    return this.index.size;
  }

  has(key: number): boolean {
    return this.index.get(key) !== NIL;
  }

  insert(key: number): number | undefined {
    if (this.index.get(key) !== NIL) throw new Error(`key ${key} is already cached`);
    const evicted = this.index.size >= this.capacity ? this.evict() : undefined;
    const lowest = this.buckets.next[this.chain];
    const bucket =
      lowest !== this.chain && this.buckets.count[lowest] === 1 ? lowest : this.bucket(1, lowest);
    const node = this.nodes.allocate(key);
    this.nodes.tag[node] = bucket;
    this.nodes.linkBefore(node, this.buckets.tag[bucket]);
    this.index.set(key, node);
    return evicted;
  }

  read(key: number): boolean {
    const node = this.index.get(key);
    if (node === NIL) return false;
    const { buckets, nodes } = this;
    const from = nodes.tag[node];
    const count = buckets.count[from] + 1;
    const after = buckets.next[from];
    const joins = after !== this.chain && buckets.count[after] === count;
    if (!joins && nodes.prev[node] === nodes.next[node]) {
      // Alone in its bucket, and no bucket for the new count: the bucket moves up with it.
      buckets.count[from] = count;
      return true;
    }
    const to = joins ? after : this.bucket(count, after);
    this.nodes.moveToBack(node, buckets.tag[to]);
    this.nodes.tag[node] = to;
    this.dropIfEmpty(from);
    return true;
  }

  written(key: number): boolean {
    return this.read(key);
  }

  removed(key: number): void {
    const node = this.index.get(key);
    if (node !== NIL) this.drop(node);
  }

  cleared(): void {
    const { buckets, nodes } = this;
    for (
      let bucket = buckets.next[this.chain];
      bucket !== this.chain;
      bucket = buckets.next[bucket]
    ) {
      nodes.releaseAll(buckets.tag[bucket]);
      nodes.release(buckets.tag[bucket]);
    }
    buckets.releaseAll(this.chain);
    this.index.clear();
  }

  evict(): number | undefined {
    const lowest = this.buckets.next[this.chain];
    if (lowest === this.chain) return undefined;
    const node = this.nodes.next[this.buckets.tag[lowest]];
    const key = this.nodes.key[node];
    this.drop(node);
    return key;
  }

  order(): number[] {
    const keys: number[] = [];
    const { buckets } = this;
    for (
      let bucket = buckets.next[this.chain];
      bucket !== this.chain;
      bucket = buckets.next[bucket]
    ) {
      this.nodes.keys(buckets.tag[bucket], keys);
    }
    return keys;
  }

  /** A new, empty bucket for `count`, chained just before `before`. */
  private bucket(count: number, before: number): number {
    const bucket = this.buckets.allocate(NIL);
    this.buckets.count[bucket] = count;
    this.buckets.tag[bucket] = this.nodes.list();
    this.buckets.linkBefore(bucket, before);
    return bucket;
  }

  private drop(node: number): void {
    const bucket = this.nodes.tag[node];
    this.nodes.unlink(node);
    this.index.delete(this.nodes.key[node]);
    this.nodes.release(node);
    this.dropIfEmpty(bucket);
  }

  private dropIfEmpty(bucket: number): void {
    const queue = this.buckets.tag[bucket];
    if (!this.nodes.isEmpty(queue)) return;
    this.nodes.release(queue);
    this.buckets.unlink(bucket);
    this.buckets.release(bucket);
  }
}
