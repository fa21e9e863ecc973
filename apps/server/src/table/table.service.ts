import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type AddReply,
  type AddRequest,
  type ClrReply,
  type GetReply,
  type GetRequest,
  ProtocolError,
  type PutReply,
  type PutRequest,
  assertIndicesWithin,
  sumInt64,
} from '@semicache/protocol';
import { TABLE_STORE, type TableStore } from './table-store';

/** A store's failure as the protocol answers it: its own ProtocolError, else INTERNAL. */
function asProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError('INTERNAL', (error as Error).message);
}

/** Calls `operation` and maps its failure, thrown or rejected, with `asProtocolError`. */
function answered<T>(operation: () => T | Promise<T>): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = operation();
  } catch (error) {
    throw asProtocolError(error);
  }
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    throw asProtocolError(error);
  });
}

/**
 * The server's table: the four operations, each validated whole before anything is applied,
 * and handed to the store in arrival order; the store answers a read after the writes before
 * it and acknowledges a write once durable (see TableStore).
 */
@Injectable()
export class TableService implements OnApplicationShutdown {
  constructor(@Inject(TABLE_STORE) private readonly store: TableStore) {}

  get size(): number {
    return this.store.size;
  }

  /** Why the store cannot serve, if it cannot. */
  get failure(): string | undefined {
    return this.store.failure;
  }

  get(request: GetRequest): GetReply | Promise<GetReply> {
    assertIndicesWithin(request, this.size);
    return this.read(request.indices, (values) => ({
      op: 'GET',
      indices: request.indices,
      values,
    }));
  }

  add(request: AddRequest): AddReply | Promise<AddReply> {
    assertIndicesWithin(request, this.size);
    return this.read(request.indices, (values) => ({
      op: 'ADD',
      indices: request.indices,
      sum: sumInt64(values),
    }));
  }

  async put(request: PutRequest): Promise<PutReply> {
    assertIndicesWithin(request, this.size);
    await answered(() => this.store.put(request.indices, request.values));
    return { op: 'PUT', indices: request.indices, values: request.values };
  }

  async clear(): Promise<ClrReply> {
    await answered(() => this.store.clear());
    return { op: 'CLR' };
  }

  /** Every entry, for the admin API. */
  entries(): bigint[] | Promise<bigint[]> {
    return answered(() => this.store.entries());
  }

  async entry(index: number): Promise<bigint> {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ProtocolError('BAD_INDEX', `index ${index} is outside 0..${this.size - 1}`);
    }
    const [value] = await answered(() => this.store.read([index]));
    return value;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  private read<T>(indices: readonly number[], reply: (values: bigint[]) => T): T | Promise<T> {
    const values = answered(() => this.store.read(indices));
    return values instanceof Promise ? values.then(reply) : reply(values);
  }
}
