import { copyPolicy } from './copy-state';
import { createPolicy } from './create-policy';
import { EVICTION_POLICIES, type EvictionPolicy, type EvictionPolicyName } from './eviction-policy';
import { type PolicyResult, policyResult } from './key-cache';

/** The largest capacity a shadow bank simulates. */
export const MAX_SHADOW_CAPACITY = 64;

/** Operations waiting in the bank's batch: the most it holds before it applies them itself. */
export const SHADOW_BATCH = 1024;

// The operations a batch holds, one byte each.
const LOOKUP_LIVE_HIT = 0;
const LOOKUP_LIVE_MISS = 1;
const FILL = 2;
const WRITE = 3;
const REMOVE = 4;
const CLEAR = 5;

export interface ShadowBankOptions {
  /** The policies to shadow (all by default). */
  readonly policies?: readonly EvictionPolicyName[];
  /** Shadows at every capacity from 1 to this (1..64, default 10). */
  readonly maxCapacity?: number;
}

/**
 * Shadow caches of several policies at every capacity 1..K, fed the live cache's own operations,
 * counting what each would have hit. The shadow of the live policy at the live capacity goes
 * through exactly the live cache's states, so it counts exactly its hits and misses.
 *
 * The live cache tells each lookup's outcome: a shadow that misses where the live cache hit gets
 * no fill from it, so it is filled at once; where the live cache missed, every shadow that
 * missed waits for the live fill (and stays without the key if that fill is skipped).
 *
 * Each shadow follows KeyCache's rules (a property test holds them equal). What makes it cheap
 * enough to run beside the proxy's every lookup:
 *
 * - A batch. The operations are recorded in two typed arrays and applied by `flush()`, shadow
 *   by shadow: each shadow's arrays are then touched once for the whole batch rather than once
 *   per operation, between which the proxy's other work has pushed them out of the processor's
 *   caches. A shadow's state depends only on its own operations, in order, so the counts are
 *   the same. `results()` flushes first; a full batch flushes itself.
 * - Groups. Of one policy, the shadows that have never had to evict are all in the same state
 *   (the same keys, uses, hand...: only their capacities differ), so only the smallest of them
 *   is run and counts for the others. When it must evict for the first time, the next capacity
 *   leaves the group as a copy of it (`copyPolicy`) and runs from there on by itself. On
 *   a small working set, the shadows larger than it cost nothing.
 * - One cache of one entry. At capacity 1 every policy holds the last key stored, whatever it
 *   is (there is one victim to choose), so the first policy's shadow of capacity 1 is run and
 *   counts for all of them.
 */
export class ShadowBank {
  readonly policies: readonly EvictionPolicyName[];
  readonly maxCapacity: number;
  /**
   * Policy by policy, capacities 1..maxCapacity. Of each policy's group, only the first shadow
   * is up to date: the others are replaced by a copy of it when they leave the group.
   */
  private readonly shadows: EvictionPolicy[] = [];
  /** Each shadow's counts, but for a group member's: those are in `groupHits`/`groupMisses`. */
  private readonly hits: Float64Array;
  private readonly misses: Float64Array;
  /** Per policy: the capacity index (0-based) of its group's first shadow, and its counts since the group last split. */
  private readonly groupFirst: Int32Array;
  private readonly groupHits: Float64Array;
  private readonly groupMisses: Float64Array;
  /** Per shadow: where in the batch it starts (a shadow that left its group mid-batch starts there). */
  private readonly startAt: Int32Array;
  /** Lookups that missed in every shadow without reaching any (see `lookupBypassed`). */
  private bypassed = 0;
  private readonly kinds = new Uint8Array(SHADOW_BATCH);
  private readonly keys = new Int32Array(SHADOW_BATCH);
  private pending = 0;

  constructor(options: ShadowBankOptions = {}) {
    const { policies = EVICTION_POLICIES, maxCapacity = 10 } = options;
    if (!Number.isInteger(maxCapacity) || maxCapacity < 1 || maxCapacity > MAX_SHADOW_CAPACITY) {
      throw new RangeError(
        `shadow capacities go up to 1..${MAX_SHADOW_CAPACITY}, not ${maxCapacity}`,
      );
    }
    this.policies = [...new Set(policies)];
    this.maxCapacity = maxCapacity;
    for (const policy of this.policies) {
      for (let capacity = 1; capacity <= maxCapacity; capacity++) {
        this.shadows.push(createPolicy(policy, capacity));
      }
    }
    this.hits = new Float64Array(this.shadows.length);
    this.misses = new Float64Array(this.shadows.length);
    this.startAt = new Int32Array(this.shadows.length);
    // Capacity 1 is the first policy's; the others' own shadows start at capacity 2.
    this.groupFirst = new Int32Array(this.policies.length).fill(1);
    this.groupFirst[0] = 0;
    this.groupHits = new Float64Array(this.policies.length);
    this.groupMisses = new Float64Array(this.policies.length);
  }

  /** Operations recorded and not applied yet. */
  get waiting(): number {
    return this.pending;
  }

  /** A lookup of `key`, which the live cache answered with a hit or a miss. */
  lookup(key: number, liveHit: boolean): void {
    this.record(liveHit ? LOOKUP_LIVE_HIT : LOOKUP_LIVE_MISS, key);
  }

  /**
   * A lookup the live cache answered as a miss without consulting its entries (say because a
   * write on the key was in flight, so the value is read from the server behind the write).
   * Whatever the policy and the capacity, the same would have happened: a miss in every shadow,
   * which changes none of them (the value fetched is not stored either).
   */
  lookupBypassed(): void {
    this.bypassed++;
  }

  /** The live cache stored the value its miss fetched. */
  fill(key: number): void {
    this.record(FILL, key);
  }

  /** The live cache stored an acknowledged write (write-allocate). */
  write(key: number): void {
    this.record(WRITE, key);
  }

  /** The live cache dropped a key (a write whose outcome is unknown). */
  remove(key: number): void {
    this.record(REMOVE, key);
  }

  clear(): void {
    this.record(CLEAR, 0);
  }

  /** Applies the operations recorded so far, shadow by shadow (each group's first only). */
  flush(): void {
    if (this.pending === 0) return;
    for (let policy = 0; policy < this.policies.length; policy++) {
      // A shadow may leave the group while it runs: then the next one runs too.
      const first = policy === 0 ? 0 : 1;
      for (let c = first; c <= this.groupFirst[policy] && c < this.maxCapacity; c++) {
        this.run(policy, c);
      }
    }
    this.startAt.fill(0);
    this.pending = 0;
  }

  /** Every shadow's counts, policy by policy, capacity 1 first (after a flush). */
  results(): PolicyResult[] {
    this.flush();
    return this.shadows.map((shadow, s) => {
      const c = s % this.maxCapacity;
      // Capacity 1 of every policy is counted by the first policy's.
      const policy = c === 0 ? 0 : Math.floor(s / this.maxCapacity);
      const at = policy * this.maxCapacity + c;
      const inGroup = c >= this.groupFirst[policy];
      const hits = this.hits[at] + (inGroup ? this.groupHits[policy] : 0);
      const misses = this.misses[at] + (inGroup ? this.groupMisses[policy] : 0);
      return policyResult(shadow.name, shadow.capacity, hits, misses + this.bypassed);
    });
  }

  /** Runs the batch, from where it starts, through the shadow of capacity index `c` of `policy`. */
  private run(policy: number, c: number): void {
    const s = policy * this.maxCapacity + c;
    const { kinds, keys, pending } = this;
    const shadow = this.shadows[s];
    const last = c === this.maxCapacity - 1;
    let grouped = c === this.groupFirst[policy];
    let hits = 0;
    let misses = 0;
    for (let i = this.startAt[s]; i < pending; i++) {
      const key = keys[i];
      const kind = kinds[i];
      let found = false;
      let insert = false;
      switch (kind) {
        case LOOKUP_LIVE_HIT:
        case LOOKUP_LIVE_MISS:
          found = shadow.read(key);
          // The live cache hit: no fill will come; this shadow's own fetch would have.
          insert = !found && kind === LOOKUP_LIVE_HIT;
          break;
        case FILL:
          insert = !shadow.has(key);
          break;
        case WRITE:
          insert = !shadow.written(key);
          break;
        case REMOVE:
          shadow.removed(key);
          break;
        case CLEAR:
          shadow.cleared();
          break;
      }
      if (insert) {
        if (grouped && !last && shadow.size >= shadow.capacity) {
          // Its first eviction: the next capacity leaves the group, as it is before this one.
          this.groupHits[policy] += hits;
          this.groupMisses[policy] += misses;
          hits = 0;
          misses = 0;
          this.split(policy, c, i);
          grouped = false;
        }
        shadow.insert(key);
      }
      if (kind <= LOOKUP_LIVE_MISS) {
        if (found) hits++;
        else misses++;
      }
    }
    if (grouped) {
      this.groupHits[policy] += hits;
      this.groupMisses[policy] += misses;
    } else {
      this.hits[s] += hits;
      this.misses[s] += misses;
    }
  }

  /**
   * The group of `policy` loses its first shadow (capacity index `c`), about to evict at batch
   * operation `at`: every member gets the counts the group made so far, and the next capacity,
   * a copy of the first as it is now, heads the group from that operation on.
   */
  private split(policy: number, c: number, at: number): void {
    const base = policy * this.maxCapacity;
    for (let member = c; member < this.maxCapacity; member++) {
      this.hits[base + member] += this.groupHits[policy];
      this.misses[base + member] += this.groupMisses[policy];
    }
    this.groupHits[policy] = 0;
    this.groupMisses[policy] = 0;
    const next = base + c + 1;
    this.shadows[next] = copyPolicy(this.shadows[base + c], c + 2);
    this.startAt[next] = at;
    this.groupFirst[policy] = c + 1;
  }

  private record(kind: number, key: number): void {
    if (this.pending === SHADOW_BATCH) this.flush();
    this.kinds[this.pending] = kind;
    this.keys[this.pending] = key;
    this.pending++;
  }
}
