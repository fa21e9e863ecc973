import { BaseRpcContext } from '@nestjs/microservices';
import type { Socket } from 'node:net';

/** The execution context a `@MessagePattern` handler can ask for with `@Ctx()`. */
export class SemicolonContext extends BaseRpcContext<[Socket]> {
  getSocket(): Socket {
    return this.args[0];
  }
}
