import type { ChildProcess } from 'node:child_process';
import { startRedisServer } from '../../scripts/redis-server';
import { freePort } from './ports';
import { trackProcess } from './processes';
import { makeTempDir } from './temp-dirs';

/**
 * A real redis-server for one test file: on a free port of 127.0.0.1, its data in its own temp
 * directory (removed by `removeTempDirs`), and killed by `stopAll` with the apps, also when a
 * test fails. No test mocks Redis.
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly appendfsync: 'always' | 'everysec' | 'off',
  ) {}

  /** Starts one; `appendfsync` 'always' (the default) makes every acknowledged write durable. */
  static async start(appendfsync: 'always' | 'everysec' | 'off' = 'always'): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), makeTempDir('semicache-redis-'), appendfsync);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:PORT/DB`, as the apps' flags take it. */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  /** Whether it runs now (not stopped, not killed by `stopAll`). */
  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Sends `signal` (SIGKILL by default: a crash) and resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts it again on the same port and directory (after `stop`), with what it had on disk. */
  async restart(): Promise<void> {
    await this.stop();
    this.child = await startRedisServer({
      port: this.port,
      dir: this.dir,
      appendfsync: this.appendfsync,
    });
    trackProcess(this.child);
  }
}
