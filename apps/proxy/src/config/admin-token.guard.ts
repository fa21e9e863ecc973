import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROXY_CONFIG, type ProxyConfig } from './proxy-config';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Admin writes (PUT /config) need the proxy's `--admin-token`, sent as `Authorization: Bearer
 * TOKEN`: without a token configured they are refused (403), with a missing or wrong one too
 * (401). Tokens are compared by their digests in constant time, so the comparison tells nothing
 * of how much of a guess was right, nor of the token's length.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: Buffer | undefined;

  constructor(@Inject(PROXY_CONFIG) config: ProxyConfig) {
    this.token = config.adminToken === undefined ? undefined : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.token === undefined) {
      throw new ForbiddenException({
        error: 'ADMIN_WRITES_DISABLED',
        message:
          'admin writes are turned off: start the proxy with --admin-token (or SEMICACHE_PROXY_ADMIN_TOKEN) to allow them',
      });
    }
    const http = context.switchToHttp();
    const header = http.getRequest<FastifyRequest>().headers.authorization;
    const sent = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
    if (sent !== undefined && timingSafeEqual(digest(sent), this.token)) return true;
    http.getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer realm="semicache"');
    throw new UnauthorizedException({
      error: 'UNAUTHORIZED',
      message:
        sent === undefined
          ? 'this needs the admin token, sent as "Authorization: Bearer TOKEN"'
          : 'wrong admin token',
    });
  }
}
