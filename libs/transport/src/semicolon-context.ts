import { BaseRpcContext } from '@nestjs/microservices';
import type { EventRecord } from '@semicache/events';
import type { Socket } from 'node:net';

/**
 * The execution context a `@MessagePattern` handler can ask for with `@Ctx()`: the connection the
 * request came on, and the event being recorded for it (where the handler's service writes its
 * decisions). A context is reused for a later request once its reply is ready, so a handler must
 * not keep it beyond its own answer.
 */
export class SemicolonContext extends BaseRpcContext<[Socket | undefined, number, EventRecord]> {
  constructor(event: EventRecord) {
    super([undefined, 0, event]);
  }

  getSocket(): Socket {
    return this.args[0]!;
  }

  /** The connection's number: 1 for the first accepted since the app started, then 2, … */
  getConnectionId(): number {
    return this.args[1];
  }

  getEvent(): EventRecord {
    return this.args[2];
  }

  /** Lends the context to a request of connection `connectionId` (the transport calls this). */
  assign(socket: Socket | undefined, connectionId: number): void {
    this.args[0] = socket;
    this.args[1] = connectionId;
  }
}
