import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { ReplyFor, Request } from '@semicache/protocol';
import {
  SemicolonClient,
  type SemicolonClientOptions,
  UpstreamError,
  type UpstreamObserver,
  type UpstreamStatus,
  publishAsRequest,
} from './semicolon-client';

export interface FailoverClientOptions extends Omit<SemicolonClientOptions, 'host' | 'port'> {
  /** The servers, most preferred first. */
  readonly targets: readonly { readonly host: string; readonly port: number }[];
}

/** One upstream as /health shows it. */
export interface UpstreamTargetState {
  readonly target: string;
  readonly up: boolean;
}

/**
 * A `ClientProxy` over several servers that serve one table (`--upstream A,B`), one
 * `SemicolonClient` each. Every client connects, and reconnects with its backoff, on its own;
 * requests go to the first in the list whose connection is up: when it goes down, to the next
 * one up, and back to an earlier one as soon as it is up again. While none is up, requests fail
 * at once with UPSTREAM_UNAVAILABLE.
 *
 * Order: requests reach a server in the order `request` was called. When the current server is
 * left while its connection is still up (an earlier one came back), requests made from then on
 * wait until those in flight on it are answered, so none overtakes an earlier one on the other
 * server. (A server whose connection failed has no request left to wait for.) With one target
 * this is that target's `SemicolonClient`, nothing added.
 */
export class FailoverClient extends ClientProxy<Record<never, never>, UpstreamStatus> {
  private readonly clients: SemicolonClient[];
  private readonly inFlight: number[];
  private readonly drainWaiters: Array<Array<() => void>>;
  private current = 0;
  private anyUp = false;
  /** Set while requests wait for the server that was left to answer what it has in flight. */
  private barrier: Promise<void> | undefined;
  private readonly observer: UpstreamObserver | undefined;

  constructor(options: FailoverClientOptions) {
    super();
    const { targets, observer, ...common } = options;
    if (targets.length === 0) throw new Error('FailoverClient needs at least one target');
    this.observer = observer;
    this.clients = targets.map(
      (target) =>
        new SemicolonClient({
          ...common,
          host: target.host,
          port: target.port,
          observer: {
            stateChanged: () => this.stateChanged(),
            requestCompleted: (op, outcome, seconds) =>
              observer?.requestCompleted(op, outcome, seconds),
          },
        }),
    );
    this.inFlight = targets.map(() => 0);
    this.drainWaiters = targets.map(() => []);
    this._status$.next('disconnected');
  }

  /** The server requests go to now (HOST:PORT). */
  get target(): string {
    return this.clients[this.current].target;
  }

  /** The server requests go to now. */
  get endpoint(): { readonly host: string; readonly port: number } {
    const { host, port } = this.clients[this.current].options;
    return { host, port };
  }

  get isUp(): boolean {
    return this.clients[this.current].isUp;
  }

  /** Every server, in the order of preference. */
  get targets(): UpstreamTargetState[] {
    return this.clients.map((client) => ({ target: client.target, up: client.isUp }));
  }

  /** Starts every connection; resolves after each one's first attempt, never rejects. */
  async connect(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.connect()));
    this.choose();
  }

  close(): void {
    for (const client of this.clients) client.close();
  }

  unwrap<T>(): T {
    return this.clients[this.current].unwrap<T>();
  }

  /** Sends one request to the current server; resolves with its reply or rejects. */
  async request<R extends Request>(request: R): Promise<ReplyFor[R['op']]> {
    while (this.barrier !== undefined) await this.barrier;
    this.choose();
    const index = this.current;
    const client = this.clients[index];
    if (!client.isUp && this.clients.length > 1) {
      // Counted as the current client counts a request it cannot send.
      this.observer?.requestCompleted(request.op, 'unavailable', 0);
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        `no upstream is reachable (${this.clients.map((each) => each.target).join(', ')})`,
        false,
      );
    }
    this.inFlight[index]++;
    try {
      return await client.request(request);
    } finally {
      if (--this.inFlight[index] === 0) {
        for (const resolve of this.drainWaiters[index].splice(0)) resolve();
      }
    }
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    return publishAsRequest((request) => this.request(request), packet, callback);
  }

  protected dispatchEvent(): Promise<never> {
    return Promise.reject(new Error('the semicolon protocol has no events'));
  }

  private stateChanged(): void {
    this.choose();
    const anyUp = this.clients.some((client) => client.isUp);
    if (anyUp === this.anyUp) return;
    this.anyUp = anyUp;
    this._status$.next(anyUp ? 'connected' : 'disconnected');
    this.observer?.stateChanged(anyUp);
  }

  /** Makes the first server that is up the current one (none up: the current one stays). */
  private choose(): void {
    const best = this.clients.findIndex((client) => client.isUp);
    if (best === -1 || best === this.current) return;
    const left = this.current;
    this.current = best;
    if (this.inFlight[left] > 0 && this.clients[left].isUp) {
      this.barrier = new Promise<void>((resolve) => this.drainWaiters[left].push(resolve)).then(
        () => {
          this.barrier = undefined;
        },
      );
    }
  }
}
