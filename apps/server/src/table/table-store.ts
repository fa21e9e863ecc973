/**
 * Where the table's values live. A write changes `values` at once, in the order writes are made,
 * and its promise resolves only once it is durable. After a failed write `failure` says why and
 * every later write fails.
 */
export interface TableStore {
  readonly values: BigInt64Array;
  /** Why the store cannot take writes any more (a failed disk write), if it cannot. */
  readonly failure: string | undefined;
  put(indices: readonly number[], values: readonly bigint[]): Promise<void>;
  clear(): Promise<void>;
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

/** `--in-memory`: nothing survives a restart. */
export class MemoryTableStore implements TableStore {
  readonly values: BigInt64Array;
  readonly failure = undefined;

  constructor(size: number) {
    this.values = new BigInt64Array(size);
  }

  put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    applyPut(this.values, indices, values);
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.values.fill(0n);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
