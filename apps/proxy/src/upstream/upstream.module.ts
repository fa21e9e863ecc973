import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { FailoverClient } from '@semicache/transport';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { UpstreamMetrics } from './upstream-metrics';

/**
 * The connection to the server (or one to each of `--upstream A,B`, with failover): a
 * `ClientProxy`, connected at start, closed at shutdown.
 */
@Module({
  providers: [
    UpstreamMetrics,
    {
      provide: FailoverClient,
      inject: [PROXY_CONFIG, UpstreamMetrics],
      useFactory: async (config: ProxyConfig, observer: UpstreamMetrics) => {
        const client = new FailoverClient({
          targets: config.upstream,
          requestTimeoutMs: config.upstreamTimeoutMs,
          connectTimeoutMs: config.upstreamConnectTimeoutMs,
          reconnectMinMs: config.reconnectMinMs,
          reconnectMaxMs: config.reconnectMaxMs,
          // A GET reply carries an index and a value (up to 20 characters) per index asked.
          maxReplyLength: config.maxMessageLength * 32,
          framing: config.upstreamFraming,
          // The short pause that ends a bare message ends a bare reply too.
          replyPauseMs: config.bareMessageDelayMs,
          observer,
        });
        // The first attempt only: a proxy starts (and serves nothing but errors) while the server is down.
        await client.connect();
        return client;
      },
    },
  ],
  exports: [FailoverClient],
})
export class UpstreamModule implements OnApplicationShutdown {
  constructor(@Inject(FailoverClient) private readonly client: FailoverClient) {}

  onApplicationShutdown(): void {
    this.client.close();
  }
}
