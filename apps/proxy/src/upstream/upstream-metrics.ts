import { Inject, Injectable } from '@nestjs/common';
import { LATENCY_BUCKETS, METRICS_REGISTRY } from '@semicache/runtime';
import {
  UPSTREAM_OUTCOMES,
  type UpstreamObserver,
  type UpstreamOutcome,
} from '@semicache/transport';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

@Injectable()
export class UpstreamMetrics implements UpstreamObserver {
  private readonly up: Gauge;
  private readonly requests: Counter<'op' | 'outcome'>;
  private readonly duration: Histogram<'op'>;
  private readonly connects: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.up = new Gauge({
      name: 'semicache_upstream_up',
      help: '1 while the proxy holds a connection to the server, else 0.',
      registers,
    });
    this.requests = new Counter({
      name: 'semicache_upstream_requests_total',
      help: 'Requests the proxy sent to the server, by OP and outcome (ok, error, timeout, unavailable).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'semicache_upstream_request_duration_seconds',
      help: 'Round trip of requests to the server, by OP.',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.connects = new Counter({
      name: 'semicache_upstream_connects_total',
      help: 'Connections made to the server (the first and every reconnection).',
      registers,
    });
    // Every series from the start, at 0 (see TransportMetrics): the proxy sends GET, PUT and CLR.
    for (const op of ['GET', 'PUT', 'CLR']) {
      for (const outcome of UPSTREAM_OUTCOMES) this.requests.inc({ op, outcome }, 0);
      this.duration.zero({ op });
    }
  }

  stateChanged(up: boolean): void {
    this.up.set(up ? 1 : 0);
    if (up) this.connects.inc();
  }

  requestCompleted(op: string, outcome: UpstreamOutcome, seconds: number): void {
    this.requests.inc({ op, outcome });
    if (outcome !== 'unavailable') this.duration.observe({ op }, seconds);
  }
}
