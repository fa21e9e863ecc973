/** No node. */
export const NIL = -1;

/**
 * Nodes in typed arrays, linked into circular doubly linked lists that each start at a sentinel
 * node: `next[sentinel]` is the front, `prev[sentinel]` the back, and a node is unlinked without
 * knowing its list. Per node: a key, and two numbers a policy may use (`tag`, `count`). Freed
 * nodes are reused; the arrays double when full, so no capacity is needed up front.
 */
export class NodePool {
  key: Int32Array;
  prev: Int32Array;
  next: Int32Array;
  tag: Int32Array;
  count: Float64Array;
  private used = 0;
  private free = NIL;

  constructor(initial = 8) {
    this.key = new Int32Array(initial);
    this.prev = new Int32Array(initial);
    this.next = new Int32Array(initial);
    this.tag = new Int32Array(initial);
    this.count = new Float64Array(initial);
  }

  /** A new node holding `key` (tag and count 0), not linked anywhere. */
  allocate(key: number): number {
    let node = this.free;
    if (node !== NIL) {
      this.free = this.next[node];
    } else {
      if (this.used === this.key.length) this.grow();
      node = this.used++;
    }
    this.key[node] = key;
    this.tag[node] = 0;
    this.count[node] = 0;
    return node;
  }

  /** Returns an unlinked node for reuse. */
  release(node: number): void {
    this.next[node] = this.free;
    this.free = node;
  }

  /** A sentinel: an empty list. */
  list(): number {
    const sentinel = this.allocate(NIL);
    this.prev[sentinel] = sentinel;
    this.next[sentinel] = sentinel;
    return sentinel;
  }

  isEmpty(list: number): boolean {
    return this.next[list] === list;
  }

  /** Links `node` just before `before` (before a sentinel: at the back of its list). */
  linkBefore(node: number, before: number): void {
    const prev = this.prev[before];
    this.prev[node] = prev;
    this.next[node] = before;
    this.next[prev] = node;
    this.prev[before] = node;
  }

  unlink(node: number): void {
    const prev = this.prev[node];
    const next = this.next[node];
    this.next[prev] = next;
    this.prev[next] = prev;
  }

  /** Moves a linked node to the back of `list`. */
  moveToBack(node: number, list: number): void {
    this.unlink(node);
    this.linkBefore(node, list);
  }

  /** Empties a list, releasing its nodes (not the sentinel). */
  releaseAll(list: number): void {
    for (let node = this.next[list]; node !== list;) {
      const next = this.next[node];
      this.release(node);
      node = next;
    }
    this.prev[list] = list;
    this.next[list] = list;
  }

  /** The keys of `list`, front to back. */
  keys(list: number, into: number[] = []): number[] {
    for (let node = this.next[list]; node !== list; node = this.next[node])
      into.push(this.key[node]);
    return into;
  }

  private grow(): void {
    const size = this.key.length * 2;
    this.key = resized(this.key, new Int32Array(size));
    this.prev = resized(this.prev, new Int32Array(size));
    this.next = resized(this.next, new Int32Array(size));
    this.tag = resized(this.tag, new Int32Array(size));
    this.count = resized(this.count, new Float64Array(size));
  }
}

function resized<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
