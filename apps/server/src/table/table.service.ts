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

// Read once: each `KIND.x` through the library's re-exports is a getter call.
const { read: READ, written: WRITTEN, cleared: CLEARED } = KIND;

/** The store's wait in whole µs, since `started` (a `performance.now()` reading). */
const usSince = (started: number) => Math.round((performance.now() - started) * 1000);

/**
 * The server's table: the four operations of SPEC §2.2, each validated whole before anything is
 * applied, and applied in arrival order. Writes are acknowledged once durable. A read is
 * computed at once (so it sees exactly the writes received before it: a client that pipelines
 * PUT then GET reads its own write) but answered only once those writes are durable, so no
 * client ever sees a value a crash could take back.
 *
 * Each operation writes its decisions into the request's event when given one: `read` per index
 * read, `written` per index written (when it is applied), `cleared`; its source is `store`
 * when it waited for the store, with the wait.
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

  get(request: GetRequest, event?: EventRecord): GetReply | Promise<GetReply> {
    const values = this.read(request, event);
    return this.onceDurable({ op: 'GET', indices: request.indices, values }, event);
  }

  add(request: AddRequest, event?: EventRecord): AddReply | Promise<AddReply> {
    const sum = sumInt64(this.read(request, event));
    return this.onceDurable({ op: 'ADD', indices: request.indices, sum }, event);
  }

  async put(request: PutRequest, event?: EventRecord): Promise<PutReply> {
    this.assertWritable();
    assertIndicesWithin(request, this.size);
    const durable = this.store.put(request.indices, request.values);
    const started = performance.now();
    if (event !== undefined) {
      event.source = 'store';
      for (let i = 0; i < request.indices.length; i++) {
        event.decide(WRITTEN, request.indices[i], UNKNOWN, request.values[i]);
      }
    }
    try {
      await this.write(durable);
    } finally {
      event?.waited(usSince(started));
    }
    return { op: 'PUT', indices: request.indices, values: request.values };
  }

  async clear(event?: EventRecord): Promise<ClrReply> {
    this.assertWritable();
    const durable = this.store.clear();
    const started = performance.now();
    if (event !== undefined) {
      event.source = 'store';
      event.decide(CLEARED, -1, this.size);
    }
    try {
      await this.write(durable);
    } finally {
      event?.waited(usSince(started));
    }
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

  /** The values of the request's indices now (validated first), each a `read` decision. */
  private read(request: GetRequest | AddRequest, event: EventRecord | undefined): bigint[] {
    this.assertWritable();
    assertIndicesWithin(request, this.size);
    const { indices } = request;
    const values = this.store.values;
    const read = new Array<bigint>(indices.length);
    for (let i = 0; i < indices.length; i++) {
      read[i] = values[indices[i]];
      event?.decide(READ, indices[i], UNKNOWN, read[i]);
    }
    return read;
  }

  private onceDurable<T>(reply: T, event: EventRecord | undefined): T | Promise<T> {
    if (this.pendingWrites === 0) return reply;
    const started = performance.now();
    if (event !== undefined) event.source = 'store';
    return this.lastWrite.then(() => {
      event?.waited(usSince(started));
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
