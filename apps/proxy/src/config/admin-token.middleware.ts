import {
  ForbiddenException,
  Inject,
  Injectable,
  type NestMiddleware,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROXY_CONFIG, type ProxyConfig } from './proxy-config';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Admin writes (PUT /config) need the proxy's `--admin-token`, sent as `Authorization: Bearer
 * TOKEN`: without a token configured they are refused (403), with a missing or wrong one too
 * (401). Tokens are compared by their digests in constant time, so the comparison tells nothing
 * of how much of a guess was right, nor of the token's length. A Nest middleware rather than a
 * guard: on Fastify it runs when the request arrives, before the body is read, so a caller
 * without the token learns nothing about the body it sent.
 */
@Injectable()
export class AdminTokenMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly token: Buffer | undefined;

  constructor(@Inject(PROXY_CONFIG) config: ProxyConfig) {
    this.token = config.adminToken === undefined ? undefined : digest(config.adminToken);
  }

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    if (this.token === undefined) {
      throw new ForbiddenException({
        error: 'ADMIN_WRITES_DISABLED',
        message:
          'admin writes are turned off: start the proxy with --admin-token (or SEMICACHE_PROXY_ADMIN_TOKEN) to allow them',
      });
    }
    const sent = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    if (sent !== undefined && timingSafeEqual(digest(sent), this.token)) return next();
    response.setHeader('WWW-Authenticate', 'Bearer realm="semicache"');
    throw new UnauthorizedException({
      error: 'UNAUTHORIZED',
      message:
        sent === undefined
          ? 'this needs the admin token, sent as "Authorization: Bearer TOKEN"'
          : 'wrong admin token',
    });
  }
}
