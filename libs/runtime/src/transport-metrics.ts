import { Inject, Injectable } from '@nestjs/common';
import type { ErrorCode } from '@semicache/protocol';
import type { RequestOutcome, TransportObserver } from '@semicache/transport';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.tokens';

/** Latency buckets from 50 µs to 2.5 s: a cache hit sits at the bottom, a timeout at the top. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** The protocol listener's metrics, the same in both apps (Prometheus's `job` tells them apart). */
@Injectable()
export class TransportMetrics implements TransportObserver {
  private readonly requests: Counter<'op' | 'outcome'>;
  private readonly duration: Histogram<'op'>;
  private readonly open: Gauge;
  private readonly accepted: Counter;
  private readonly errors: Counter<'code'>;
  // Label lookups cost a hash per call on the hot path: each child is looked up once.
  private readonly requestsByLabels = new Map<string, Counter.Internal>();
  private readonly durationByOp = new Map<string, Histogram.Internal<'op'>>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'semicache_requests_total',
      help: 'Protocol requests answered, by OP and outcome (ok or error).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'semicache_request_duration_seconds',
      help: 'Time from a request being framed to its reply being ready, by OP.',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.open = new Gauge({
      name: 'semicache_connections_open',
      help: 'Protocol connections open now.',
      registers,
    });
    this.accepted = new Counter({
      name: 'semicache_connections_accepted_total',
      help: 'Protocol connections accepted.',
      registers,
    });
    this.errors = new Counter({
      name: 'semicache_protocol_errors_total',
      help: 'Error replies sent, by error CODE.',
      labelNames: ['code'],
      registers,
    });
  }

  connectionOpened(): void {
    this.open.inc();
    this.accepted.inc();
  }

  connectionClosed(): void {
    this.open.dec();
  }

  requestCompleted(op: string, outcome: RequestOutcome, seconds: number): void {
    const key = `${op} ${outcome}`;
    let counter = this.requestsByLabels.get(key);
    if (counter === undefined) this.requestsByLabels.set(key, (counter = this.requests.labels({ op, outcome })));
    counter.inc();
    let histogram = this.durationByOp.get(op);
    if (histogram === undefined) this.durationByOp.set(op, (histogram = this.duration.labels({ op })));
    histogram.observe(seconds);
  }

  errorReplied(code: ErrorCode): void {
    this.errors.inc({ code });
  }
}
