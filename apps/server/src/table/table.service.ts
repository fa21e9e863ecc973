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

/**
 * The server's table: the four operations (GET, PUT, ADD, CLR), each validated whole before anything is
 * applied, and applied in arrival order. Writes are acknowledged once durable. A read is
 * computed at once (so it sees exactly the writes received before it: a client that pipelines
 * PUT then GET reads its own write) but answered only once those writes are durable, so no
 * client ever sees a value a crash could take back.
 */
@Injectable()
export class TableService implements OnApplicationShutdown {
  private pendingWrites = 0;
  private lastWrite: Promise<unknown> = Promise.resolve();

  constructor(@Inject(TABLE_STORE) private readonly store: TableStore) {}

  get size(): number {
    return this.store.values.length;
  }

  /** Why writes fail, if the store has failed. */
  get failure(): string | undefined {
    return this.store.failure;
  }

  get(request: GetRequest): GetReply | Promise<GetReply> {
    this.assertWritable();
    assertIndicesWithin(request, this.size);
    const values = this.store.values;
    return this.onceDurable({
      op: 'GET',
      indices: request.indices,
      values: request.indices.map((index) => values[index]),
    });
  }

  add(request: AddRequest): AddReply | Promise<AddReply> {
    this.assertWritable();
    assertIndicesWithin(request, this.size);
    const values = this.store.values;
    return this.onceDurable({
      op: 'ADD',
      indices: request.indices,
      sum: sumInt64(request.indices.map((index) => values[index])),
    });
  }

  async put(request: PutRequest): Promise<PutReply> {
    this.assertWritable();
    assertIndicesWithin(request, this.size);
    await this.write(this.store.put(request.indices, request.values));
    return { op: 'PUT', indices: request.indices, values: request.values };
  }

  async clear(): Promise<ClrReply> {
    this.assertWritable();
    await this.write(this.store.clear());
    return { op: 'CLR' };
  }

  /** A snapshot of every entry, for the admin API. */
  entries(): bigint[] {
    return Array.from(this.store.values);
  }

  entry(index: number): bigint {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ProtocolError('BAD_INDEX', `index ${index} is outside 0..${this.size - 1}`);
    }
    return this.store.values[index];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Fail-stop: once the disk has failed, memory may hold values that are not durable. */
  private assertWritable(): void {
    if (this.store.failure !== undefined) {
      throw new ProtocolError('INTERNAL', `the table is unavailable: ${this.store.failure}`);
    }
  }

  private onceDurable<T>(reply: T): T | Promise<T> {
    if (this.pendingWrites === 0) return reply;
    return this.lastWrite.then(() => {
      this.assertWritable();
      return reply;
    });
  }

  private write(durable: Promise<void>): Promise<void> {
    this.pendingWrites++;
    const done = durable
      .catch((error: Error) => {
        throw new ProtocolError('INTERNAL', error.message);
      })
      .finally(() => this.pendingWrites--);
    this.lastWrite = done.catch(() => undefined);
    return done;
  }
}
