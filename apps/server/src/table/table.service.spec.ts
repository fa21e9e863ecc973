import 'reflect-metadata';
import { ServiceUnavailableException } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppModule } from '../app.module';
import { loadServerConfig } from '../config/server-config';
import { HealthController } from '../health/health.controller';
import { TABLE_STORE, type TableStore, applyPut } from './table-store';
import { TableService } from './table.service';

const SIZE = 10;
const config = loadServerConfig([
  'node',
  'semicache-server',
  '--size',
  String(SIZE),
  '--in-memory',
]);

/**
 * A store whose writes become durable, or fail, only when the test says so; as the interface
 * requires, a read is computed at once and answered once the writes before it are durable.
 */
class GatedStore implements TableStore {
  readonly size = SIZE;
  readonly values = new BigInt64Array(SIZE);
  failure: string | undefined;
  writes = 0;
  closed = false;
  private readonly unfinished: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private lastWrite: Promise<void> = Promise.resolve();

  read(indices: readonly number[]): bigint[] | Promise<bigint[]> {
    if (this.failure !== undefined) throw new Error(this.failure);
    const values = indices.map((index) => this.values[index]);
    if (this.unfinished.length === 0) return values;
    return this.lastWrite.then(() => values);
  }

  entries(): bigint[] {
    return Array.from(this.values);
  }

  put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    applyPut(this.values, indices, values);
    return this.gate();
  }

  clear(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    this.values.fill(0n);
    return this.gate();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** The oldest unfinished write is now durable. */
  finish(): void {
    this.unfinished.shift()?.resolve();
  }

  /** The oldest unfinished write failed; the store takes no more. */
  fail(reason: string): void {
    this.failure = reason;
    this.unfinished.shift()?.reject(new Error(reason));
  }

  private gate(): Promise<void> {
    this.writes++;
    const write = new Promise<void>((resolve, reject) => this.unfinished.push({ resolve, reject }));
    this.lastWrite = write;
    return write;
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `answer` has settled, after everything already queued has run. */
async function settled(answer: unknown): Promise<boolean> {
  let done = false;
  Promise.resolve(answer).then(
    () => (done = true),
    () => (done = true),
  );
  await nextTurn();
  return done;
}

describe('TableService, built by the server module', () => {
  let moduleRef: TestingModule;

  afterEach(() => moduleRef.close());

  it('keeps the table in memory with --in-memory', async () => {
    moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    const table = moduleRef.get(TableService);
    await table.put({ op: 'PUT', indices: [1, 2], values: [10n, 20n] });
    expect(table.get({ op: 'GET', indices: [2, 1, 2] })).toStrictEqual({
      op: 'GET',
      indices: [2, 1, 2],
      values: [20n, 10n, 20n],
    });
    expect(table.size).toBe(SIZE);
  });

  describe('over a store whose writes the test finishes', () => {
    let store: GatedStore;
    let table: TableService;

    beforeEach(async () => {
      store = new GatedStore();
      moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
        .overrideProvider(TABLE_STORE)
        .useValue(store)
        .compile();
      table = moduleRef.get(TableService);
    });

    it('answers a read at once while no write is pending', () => {
      expect(table.add({ op: 'ADD', indices: [1, 2] })).toStrictEqual({
        op: 'ADD',
        indices: [1, 2],
        sum: 0n,
      });
    });

    it('answers a read behind an unfinished write with its value, once that write is durable', async () => {
      const write = table.put({ op: 'PUT', indices: [1], values: [5n] });
      const read = table.get({ op: 'GET', indices: [1] });
      expect(await settled(write)).toBe(false);
      expect(await settled(read)).toBe(false);

      store.finish();
      await expect(write).resolves.toStrictEqual({ op: 'PUT', indices: [1], values: [5n] });
      await expect(read).resolves.toStrictEqual({ op: 'GET', indices: [1], values: [5n] });
    });

    it('checks a PUT whole: one index outside the table, and nothing is written', async () => {
      await expect(
        table.put({ op: 'PUT', indices: [2, 12], values: [1n, 2n] }),
      ).rejects.toMatchObject({ code: 'BAD_INDEX', message: 'index 12 is outside 0..9' });
      expect(store.writes).toBe(0);
      expect(table.entries()).toStrictEqual(new Array<bigint>(SIZE).fill(0n));
    });

    it('stops after a failed write: that write, the reads behind it and all later requests fail, and health answers 503', async () => {
      const write = table.put({ op: 'PUT', indices: [1], values: [5n] });
      const read = table.get({ op: 'GET', indices: [1] });

      store.fail('no space left on device');
      await expect(write).rejects.toMatchObject({ code: 'INTERNAL' });
      await expect(read).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(() => table.get({ op: 'GET', indices: [2] })).toThrow(/no space left on device/);
      await expect(table.clear()).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(() => moduleRef.get(HealthController).health()).toThrow(ServiceUnavailableException);
    });

    it('closes the store when the app shuts down', async () => {
      expect(store.closed).toBe(false);
      await moduleRef.close();
      expect(store.closed).toBe(true);
    });
  });
});
