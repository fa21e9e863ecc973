const EMPTY = -1;
const MIN_BITS = 3;
/** Keys below this are looked up directly in an array; larger keys are hashed. */
const DIRECT_KEYS = 4096;

/**
 * A map from key to node number for non-negative 32-bit integer keys (table indices), in typed
 * arrays: small keys, the usual table indices, in an array indexed by key (grown up to the
 * largest seen, at most 4096 entries); larger keys in an open-addressing table, linear probing,
 * at most half full, deletion by backward shift (no tombstones, so probes stay short however
 * many keys come and go). It exists because the shadow bank runs dozens of policies per request,
 * and a `Map`, or a probe whose length a random key decides, costs several times more.
 */
export class KeyIndex {
  private direct = new Int32Array(0);
  private keys: Int32Array;
  private nodes: Int32Array;
  private bits = MIN_BITS;
  private mask: number;
  private count = 0;
  /** Of which in the hashed table. */
  private hashed = 0;

  constructor() {
    this.keys = new Int32Array(1 << this.bits).fill(EMPTY);
    this.nodes = new Int32Array(1 << this.bits);
    this.mask = (1 << this.bits) - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The node of `key`, or -1. */
  get(key: number): number {
    if (key < DIRECT_KEYS) return key < this.direct.length ? this.direct[key] : EMPTY;
    const keys = this.keys;
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      const found = keys[slot];
      if (found === key) return this.nodes[slot];
      if (found === EMPTY) return EMPTY;
    }
  }

  /** Maps `key` to `node`, replacing any node it had. */
  set(key: number, node: number): void {
    if (key < DIRECT_KEYS) {
      if (key >= this.direct.length) this.growDirect(key);
      if (this.direct[key] === EMPTY) this.count++;
      this.direct[key] = node;
      return;
    }
    if ((this.hashed + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let slot = this.home(key);
    while (keys[slot] !== key && keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    if (keys[slot] === EMPTY) {
      this.count++;
      this.hashed++;
    }
    keys[slot] = key;
    this.nodes[slot] = node;
  }

  delete(key: number): void {
    if (key < DIRECT_KEYS) {
      if (key < this.direct.length && this.direct[key] !== EMPTY) {
        this.direct[key] = EMPTY;
        this.count--;
      }
      return;
    }
    const keys = this.keys;
    const mask = this.mask;
    let slot = this.home(key);
    while (keys[slot] !== key) {
      if (keys[slot] === EMPTY) return;
      slot = (slot + 1) & mask;
    }
    this.count--;
    this.hashed--;
    // Move back every later key of the run that may live in the freed slot.
    for (let next = (slot + 1) & mask; keys[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.home(keys[next]);
      const reachable = slot <= next ? home <= slot || home > next : home <= slot && home > next;
      if (reachable) {
        keys[slot] = keys[next];
        this.nodes[slot] = this.nodes[next];
        slot = next;
      }
    }
    keys[slot] = EMPTY;
  }

  clear(): void {
    if (this.count === 0) return;
    this.direct.fill(EMPTY);
    this.keys.fill(EMPTY);
    this.count = 0;
    this.hashed = 0;
  }

  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
  }

  private growDirect(key: number): void {
    let length = Math.max(16, this.direct.length);
    while (length <= key) length *= 2;
    const direct = new Int32Array(Math.min(length, DIRECT_KEYS)).fill(EMPTY);
    direct.set(this.direct);
    this.direct = direct;
  }

  /** Twice the slots for the hashed keys (the direct ones stay where they are). */
  private grow(): void {
    const keys = this.keys;
    const nodes = this.nodes;
    this.bits++;
    this.mask = (1 << this.bits) - 1;
    this.keys = new Int32Array(1 << this.bits).fill(EMPTY);
    this.nodes = new Int32Array(1 << this.bits);
    for (let slot = 0; slot < keys.length; slot++) {
      if (keys[slot] === EMPTY) continue;
      let target = this.home(keys[slot]);
      while (this.keys[target] !== EMPTY) target = (target + 1) & this.mask;
      this.keys[target] = keys[slot];
      this.nodes[target] = nodes[slot];
    }
  }
}
