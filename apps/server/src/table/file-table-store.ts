import { Logger } from '@nestjs/common';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { parseInt64 } from '@semicache/protocol';
import {
  DataDirectoryError,
  DataDirectoryLock,
  createDataDirectory,
  syncDirectory,
} from './data-directory';
import { applyPut, type TableStore } from './table-store';

const SNAPSHOT = 'table.snapshot';
const LOG = 'table.log';
const SNAPSHOT_FORMAT = 'semicache-table/1';
/** Fold the log into a new snapshot once it grows past this many bytes. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

interface Pending {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function checksum(text: string): string {
  return crc32(text).toString(16).padStart(8, '0');
}

/** One log line: `<crc32 of payload> <payload>\n`, payload `P i=v,i=v` or `C`. */
function logLine(payload: string): string {
  return `${checksum(payload)} ${payload}\n`;
}

/**
 * The table on disk: a snapshot plus an append-only log of writes. A write changes `values` at
 * once, in arrival order, and its promise resolves when it is appended and fdatasync'ed; writes
 * that arrive while a sync is running share the next one (group commit). A read is computed at
 * once (so it sees exactly the writes made before it) but answered only once they are durable. A snapshot is replaced atomically (write, fsync, rename, fsync the
 * directory), so a crash at any moment leaves either the old or the new one. A log line cut
 * short by a crash was never acknowledged and is dropped; any other damage stops the start.
 */
export class FileTableStore implements TableStore {
  private static readonly logger = new Logger('TableStore');
  private queue: Pending[] = [];
  private writing = false;
  private drained: Promise<void> = Promise.resolve();
  private logBytes = 0;
  /** Writes not yet durable (or failed), and the promise of the last one made. */
  private pendingWrites = 0;
  private lastWrite: Promise<unknown> = Promise.resolve();
  failure: string | undefined;

  private constructor(
    private readonly dir: string,
    readonly values: BigInt64Array,
    private log: FileHandle,
    private readonly lock: DataDirectoryLock,
  ) {}

  static async open(dir: string, size: number): Promise<FileTableStore> {
    const { logger } = FileTableStore;
    await createDataDirectory(dir);
    const lock = await DataDirectoryLock.acquire(dir);
    try {
      const snapshot = await readSnapshot(dir, size);
      const values = snapshot ?? new BigInt64Array(size);
      const { records, droppedBytes } = await replayLog(dir, values);
      if (droppedBytes > 0) {
        // A crash cut that write short before it was synced: it was never acknowledged.
        logger.warn({ msg: 'unfinished write dropped', file: join(dir, LOG), bytes: droppedBytes });
      }
      await writeSnapshot(dir, values);
      // Append mode: every write lands at the end, also after compaction truncates the log.
      const log = await open(join(dir, LOG), 'a');
      await log.truncate(0);
      await log.sync();
      // The log may have just been created: its directory entry is made durable before any write.
      await syncDirectory(dir);
      logger.log({
        msg: 'table opened',
        dir,
        entries: size,
        snapshot: snapshot !== undefined,
        logRecords: records,
        droppedBytes,
      });
      return new FileTableStore(dir, values, log, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get size(): number {
    return this.values.length;
  }

  read(indices: readonly number[]): bigint[] | Promise<bigint[]> {
    this.assertWritable();
    const read = indices.map((index) => this.values[index]);
    if (this.pendingWrites === 0) return read;
    return this.lastWrite.then(() => {
      // Fail-stop: once the disk has failed, memory may hold values that are not durable.
      this.assertWritable();
      return read;
    });
  }

  entries(): bigint[] {
    return Array.from(this.values);
  }

  put(indices: readonly number[], values: readonly bigint[]): Promise<void> {
    const pairs = indices.map((index, i) => `${index}=${values[i]}`).join(',');
    return this.enqueue(`P ${pairs}`, () => applyPut(this.values, indices, values));
  }

  clear(): Promise<void> {
    return this.enqueue('C', () => this.values.fill(0n));
  }

  /** Waits for queued writes, then closes the log and releases the data directory. */
  async close(): Promise<void> {
    await this.drained;
    await this.log.close();
    await this.lock.release();
  }

  private assertWritable(): void {
    const unavailable = this.unavailable();
    if (unavailable !== undefined) throw unavailable;
  }

  /** Why the table takes no operation any more (a failed write), if it does not. */
  private unavailable(): Error | undefined {
    if (this.failure === undefined) return undefined;
    return new Error(`the table is unavailable: ${this.failure}`);
  }

  private enqueue(payload: string, apply: () => void): Promise<void> {
    const unavailable = this.unavailable();
    if (unavailable !== undefined) return Promise.reject(unavailable);
    apply();
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ line: logLine(payload), resolve, reject });
      if (!this.writing) this.drained = this.drain();
    });
    this.pendingWrites++;
    const settled = durable.finally(() => this.pendingWrites--);
    this.lastWrite = settled.catch(() => undefined);
    return settled;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.failure !== undefined) throw new Error(this.failure);
        const data = batch.map((pending) => pending.line).join('');
        await this.log.write(data);
        await this.log.datasync();
        this.logBytes += Buffer.byteLength(data);
        for (const pending of batch) pending.resolve();
        if (this.logBytes > COMPACT_AFTER_BYTES) await this.compact();
      } catch (error) {
        // After a failed write the log's tail is unknown: take no more writes.
        this.failure ??= (error as Error).message;
        for (const pending of batch)
          pending.reject(new Error(`the table cannot be written: ${this.failure}`));
      }
    }
    this.writing = false;
  }

  private async compact(): Promise<void> {
    const began = performance.now();
    await writeSnapshot(this.dir, this.values);
    await this.log.truncate(0);
    await this.log.sync();
    const logBytes = this.logBytes;
    this.logBytes = 0;
    FileTableStore.logger.log({
      msg: 'log compacted',
      dir: this.dir,
      logBytes,
      ms: Math.round(performance.now() - began),
    });
  }
}

/** The value, or undefined if `text` is not a signed 64-bit integer. */
function int64(text: string): bigint | undefined {
  try {
    return parseInt64(text);
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirectoryError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The snapshot's values, or undefined if there is no snapshot yet. */
async function readSnapshot(dir: string, size: number): Promise<BigInt64Array | undefined> {
  const path = join(dir, SNAPSHOT);
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  const values = new BigInt64Array(size);
  const damaged = (why: string) =>
    new DataDirectoryError(
      `${path} is damaged (${why}); refusing to start. Restore it or move it away to start from an empty table.`,
    );
  let parsed: { format?: unknown; size?: unknown; values?: unknown; crc?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw damaged('not valid JSON');
  }
  if (
    parsed.format !== SNAPSHOT_FORMAT ||
    !Array.isArray(parsed.values) ||
    typeof parsed.size !== 'number'
  ) {
    throw damaged('not a semicache table snapshot');
  }
  if (parsed.crc !== checksum(JSON.stringify(parsed.values))) throw damaged('checksum mismatch');
  if (parsed.size !== size || parsed.values.length !== size) {
    throw new DataDirectoryError(
      `${path} holds a table of ${parsed.size} entries but --size is ${size}; start with --size ${parsed.size} or use another --data-dir`,
    );
  }
  parsed.values.forEach((value, index) => {
    const checked = typeof value === 'string' ? int64(value) : undefined;
    if (checked === undefined) throw damaged(`entry ${index} is not a signed 64-bit integer`);
    values[index] = checked;
  });
  return values;
}

/** Applies the log's records; tells how many, and how many bytes of an unfinished last one were dropped. */
async function replayLog(
  dir: string,
  values: BigInt64Array,
): Promise<{ records: number; droppedBytes: number }> {
  const path = join(dir, LOG);
  const text = await readIfExists(path);
  if (text === undefined || text === '') return { records: 0, droppedBytes: 0 };
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  lines.forEach((line, number) => {
    const damaged = (why: string) =>
      new DataDirectoryError(
        `${path} line ${number + 1} is damaged (${why}); refusing to start. Restore it or move it away.`,
      );
    const space = line.indexOf(' ');
    const payload = line.slice(space + 1);
    if (space !== 8 || line.slice(0, 8) !== checksum(payload)) throw damaged('checksum mismatch');
    if (payload === 'C') {
      values.fill(0n);
      return;
    }
    if (!payload.startsWith('P ')) throw damaged('unknown record');
    for (const pair of payload.slice(2).split(',')) {
      const match = /^(\d{1,10})=(.*)$/.exec(pair);
      const index = match ? Number(match[1]) : NaN;
      const value = match ? int64(match[2]) : undefined;
      if (!(index < values.length) || value === undefined) {
        throw damaged(
          `"${pair.slice(0, 40)}" is not INDEX=VALUE within a table of ${values.length} entries`,
        );
      }
      values[index] = value;
    }
  });
  return { records: lines.length, droppedBytes: text.length - end };
}

async function writeSnapshot(dir: string, values: BigInt64Array): Promise<void> {
  const strings = Array.from(values, (value) => value.toString());
  const body = JSON.stringify({
    format: SNAPSHOT_FORMAT,
    size: values.length,
    values: strings,
    crc: checksum(JSON.stringify(strings)),
  });
  const path = join(dir, SNAPSHOT);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDirectory(dir);
}
