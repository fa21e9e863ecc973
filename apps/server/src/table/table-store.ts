/**
 * Where the table's values live; the file, memory and Redis stores share this interface.
 *
 * Operations take effect in the order they are called: a read sees exactly the writes called
 * before it (a client that pipelines PUT then GET reads its own write), and is answered only
 * once those writes are durable, so no client sees a value that a crash could take back. A
 * write's promise resolves once it is durable. A store that cannot serve rejects at once
 * (fail fast) with a `ProtocolError` (STORE_UNAVAILABLE) or an `Error` (answered as INTERNAL).
 */
export interface TableStore {
  readonly size: number;
  /** Why the store cannot serve now, if it cannot (a failed disk write, Redis unreachable). */
  readonly failure: string | undefined;
  /** The values of `indices` (each within the table), in order. */
  read(indices: readonly number[]): bigint[] | Promise<bigint[]>;
  put(indices: readonly number[], values: readonly bigint[]): Promise<void>;
  clear(): Promise<void>;
  /** Every entry, for the admin API (the file and memory stores: as in memory now). */
  entries(): bigint[] | Promise<bigint[]>;
  close(): Promise<void>;
}

export const TABLE_STORE = Symbol('TABLE_STORE');

export function applyPut(
  target: BigInt64Array,
  indices: readonly number[],
  values: readonly bigint[],
): void {
  for (let i = 0; i < indices.length; i++) target[indices[i]] = values[i];
}

/** `--store memory`: nothing survives a restart. */
export class MemoryTableStore implements TableStore {
  readonly values: BigInt64Array;
  readonly failure = undefined;

  constructor(readonly size: number) {
    this.values = new BigInt64Array(size);
  }

  read(indices: readonly number[]): bigint[] {
    return indices.map((index) => this.values[index]);
  }

  put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    applyPut(this.values, indices, values);
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.values.fill(0n);
    return Promise.resolve();
  }

  entries(): bigint[] {
    return Array.from(this.values);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
