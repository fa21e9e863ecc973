import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type EventRecord, KIND, UNKNOWN } from '@semicache/events';
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
import { performance } from 'node:perf_hooks';
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

// Read once: each `KIND.x` through the library's re-exports is a getter call.
const { read: READ, written: WRITTEN, cleared: CLEARED } = KIND;

/** The store's wait in whole µs, since `started` (a `performance.now()` reading). */
const usSince = (started: number) => Math.round((performance.now() - started) * 1000);

/**
 * The server's table: the four operations, each validated whole before anything is applied,
 * and handed to the store in arrival order; the store answers a read after the writes before
 * it and acknowledges a write once durable (see TableStore).
 *
 * Each operation writes its decisions into the request's event when given one: `read` per index
 * read, `written` per index written (when handed to the store), `cleared`; its source is
 * `store` when it waited for the store (a write, or a read the store answered later), with the
 * wait, and `table` when the store answered at once.
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

  get(request: GetRequest, event?: EventRecord): GetReply | Promise<GetReply> {
    assertIndicesWithin(request, this.size);
    return this.read(request.indices, event, (values) => ({
      op: 'GET',
      indices: request.indices,
      values,
    }));
  }

  add(request: AddRequest, event?: EventRecord): AddReply | Promise<AddReply> {
    assertIndicesWithin(request, this.size);
    return this.read(request.indices, event, (values) => ({
      op: 'ADD',
      indices: request.indices,
      sum: sumInt64(values),
    }));
  }

  async put(request: PutRequest, event?: EventRecord): Promise<PutReply> {
    assertIndicesWithin(request, this.size);
    if (event !== undefined) {
      event.source = 'store';
      for (let i = 0; i < request.indices.length; i++) {
        event.decide(WRITTEN, request.indices[i], UNKNOWN, request.values[i]);
      }
    }
    const started = performance.now();
    try {
      await answered(() => this.store.put(request.indices, request.values));
    } finally {
      event?.waited(usSince(started));
    }
    return { op: 'PUT', indices: request.indices, values: request.values };
  }

  async clear(event?: EventRecord): Promise<ClrReply> {
    if (event !== undefined) {
      event.source = 'store';
      event.decide(CLEARED, -1, this.size);
    }
    const started = performance.now();
    try {
      await answered(() => this.store.clear());
    } finally {
      event?.waited(usSince(started));
    }
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

  /** The store's values of `indices` (each a `read` decision), made into the reply. */
  private read<T>(
    indices: readonly number[],
    event: EventRecord | undefined,
    reply: (values: bigint[]) => T,
  ): T | Promise<T> {
    const started = performance.now();
    const values = answered(() => this.store.read(indices));
    if (!(values instanceof Promise)) return reply(readDecisions(event, indices, values));
    if (event !== undefined) event.source = 'store';
    return values.then(
      (read) => {
        event?.waited(usSince(started));
        return reply(readDecisions(event, indices, read));
      },
      (error: unknown) => {
        event?.waited(usSince(started));
        throw error;
      },
    );
  }
}

function readDecisions(
  event: EventRecord | undefined,
  indices: readonly number[],
  values: bigint[],
): bigint[] {
  if (event !== undefined) {
    for (let i = 0; i < indices.length; i++) event.decide(READ, indices[i], UNKNOWN, values[i]);
  }
  return values;
}
