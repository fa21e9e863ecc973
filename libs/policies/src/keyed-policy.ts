import {
  type EvictionPolicy,
  type EvictionPolicyName,
  type EvictionReason,
  checkedCapacity,
} from './eviction-policy';
import { KeyIndex } from './key-index';
import { NIL } from './node-pool';

/**
 * What the policies that hold exactly their cached keys share (all but ARC, which also holds
 * ghosts): the capacity, the index from key to node, and the calls that only look a key up or
 * take it out. A subclass says where a new key goes, what a use does and which node goes next.
 */
export abstract class KeyedPolicy implements EvictionPolicy {
  abstract readonly name: EvictionPolicyName;
  abstract readonly reason: EvictionReason;
  protected readonly index = new KeyIndex();
  private room: number;

  constructor(capacity: number) {
    this.room = checkedCapacity(capacity);
  }

  get capacity(): number {
    return this.room;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: number): boolean {
    return this.index.get(key) !== NIL;
  }

  insert(key: number): number | undefined {
    if (this.index.get(key) !== NIL) throw new Error(`key ${key} is already cached`);
    const evicted = this.index.size >= this.room ? this.evict() : undefined;
    this.index.set(key, this.add(key));
    return evicted;
  }

  read(key: number): boolean {
    const node = this.index.get(key);
    if (node === NIL) return false;
    this.used(node);
    return true;
  }

  written(key: number): boolean {
    return this.read(key);
  }

  removed(key: number): void {
    const node = this.index.get(key);
    if (node === NIL) return;
    this.index.delete(key);
    this.drop(node);
  }

  evict(): number | undefined {
    const victim = this.victim();
    if (victim === NIL) return undefined;
    const key = this.keyOf(victim);
    this.index.delete(key);
    this.drop(victim);
    return key;
  }

  cleared(): void {
    this.index.clear();
    this.dropAll();
  }

  resize(capacity: number): number[] {
    this.room = checkedCapacity(capacity);
    const evicted: number[] = [];
    while (this.index.size > this.room) evicted.push(this.evict()!);
    return evicted;
  }

  abstract order(): number[];

  /** A node for a new key, linked where new keys go. */
  protected abstract add(key: number): number;

  /** What a read or a write does to a cached key's node. */
  protected abstract used(node: number): void;

  /** The node to evict next (NIL when empty); may move a hand or clear bits on the way. */
  protected abstract victim(): number;

  protected abstract keyOf(node: number): number;

  /** Unlinks and frees a node (its key is already out of the index). */
  protected abstract drop(node: number): void;

  /** Unlinks and frees every node. */
  protected abstract dropAll(): void;
}
