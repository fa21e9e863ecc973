const EMPTY = -1;
const MIN_BITS = 3;

/**
 * A map from key to node number for non-negative 32-bit integer keys (table indices), in two
 * typed arrays: open addressing with linear probing, at most half full, deletion by backward
 * shift (no tombstones, so probes stay short however many keys come and go). It exists because
 * the shadow bank runs dozens of policies per request and a `Map` costs several times more.
 */
export class KeyIndex {
  private keys: Int32Array;
  private nodes: Int32Array;
  private bits: number;
  private mask: number;
  private count = 0;

  constructor(expected = 4) {
    this.bits = MIN_BITS;
    while (1 << this.bits < expected * 2) this.bits++;
    this.keys = new Int32Array(1 << this.bits).fill(EMPTY);
    this.nodes = new Int32Array(1 << this.bits);
    this.mask = (1 << this.bits) - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The node of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      const found = keys[slot];
      if (found === key) return this.nodes[slot];
      if (found === EMPTY) return -1;
    }
  }

  /** Maps `key` to `node`, replacing any node it had. */
  set(key: number, node: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let slot = this.home(key);
    while (keys[slot] !== key && keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    if (keys[slot] === EMPTY) this.count++;
    keys[slot] = key;
    this.nodes[slot] = node;
  }

  delete(key: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let slot = this.home(key);
    while (keys[slot] !== key) {
      if (keys[slot] === EMPTY) return;
      slot = (slot + 1) & mask;
    }
    this.count--;
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
    this.keys.fill(EMPTY);
    this.count = 0;
  }

  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
  }

  private grow(): void {
    const keys = this.keys;
    const nodes = this.nodes;
    this.bits++;
    this.mask = (1 << this.bits) - 1;
    this.keys = new Int32Array(1 << this.bits).fill(EMPTY);
    this.nodes = new Int32Array(1 << this.bits);
    this.count = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      if (keys[slot] !== EMPTY) this.set(keys[slot], nodes[slot]);
    }
  }
}
