import { Logger } from '@nestjs/common';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { tryLock } from 'fs-native-extensions';

/** The data directory cannot be used: reported at start-up, never replaced by zeros. */
export class DataDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirectoryError';
  }
}

export const LOCK_FILE = 'server.pid';

/**
 * Creates `dir` and any missing parents, durably: a new directory's entry is on disk only once
 * the directory holding it is fsynced, so every level from the parent of the top-most directory
 * created down to the parent of `dir` is synced.
 */
export async function createDataDirectory(dir: string): Promise<void> {
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new DataDirectoryError(`cannot create ${dir}: ${(error as Error).message}`);
  }
  if (firstCreated === undefined) return;
  const top = resolve(firstCreated);
  for (let level = resolve(dir); dirname(level) !== level; level = dirname(level)) {
    await syncDirectory(dirname(level));
    if (level === top) return;
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * One server per data directory: an exclusive lock on `server.pid`, held on a file kept open for
 * the server's whole life. The kernel releases it when the process ends, however it ends (kill -9
 * included), so there is never a stale lock to take over, and two servers starting at once cannot
 * both get it. The file is never removed (a server could then lock a new file of the same name
 * while another holds the old one); it holds the pid of the server that holds the lock, for a
 * person to read, and is emptied when that server shuts down cleanly.
 */
export class DataDirectoryLock {
  private static readonly log = new Logger('DataDirectory');

  private constructor(private readonly file: FileHandle) {}

  static async acquire(dir: string): Promise<DataDirectoryLock> {
    const path = join(dir, LOCK_FILE);
    let file: FileHandle;
    try {
      file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (error) {
      throw new DataDirectoryError(`cannot open the lock ${path}: ${(error as Error).message}`);
    }
    try {
      if (!tryLock(file.fd)) {
        // The holder writes its pid once it has the lock: it may not be there yet.
        const holder = (await readFile(path, 'utf8')).trim();
        throw new DataDirectoryError(
          `${dir} is in use by another semicache server (${holder ? `pid ${holder}, ` : ''}in ${path}); stop it or use another --data-dir`,
        );
      }
      // A pid left in the file is the server that last held the lock and did not stop cleanly.
      const previous = (await readFile(path, 'utf8')).trim();
      await file.truncate(0);
      await file.write(`${process.pid}\n`, 0);
      if (/^\d+$/.test(previous)) {
        DataDirectoryLock.log.warn({
          msg: 'data directory locked after an unclean stop',
          dir,
          previousPid: Number(previous),
        });
      } else {
        DataDirectoryLock.log.log({ msg: 'data directory locked', dir });
      }
      return new DataDirectoryLock(file);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Empties the file and releases the lock. */
  async release(): Promise<void> {
    try {
      await this.file.truncate(0);
    } finally {
      await this.file.close();
    }
  }
}
