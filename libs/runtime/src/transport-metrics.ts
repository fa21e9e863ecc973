import { Inject, Injectable } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode, OPS } from '@semicache/protocol';
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
    // Every series exists from the start at 0, so rate() and the latency quantiles see the
    // first request of each kind instead of taking its appearance as the starting point.
    for (const op of [...OPS, 'none']) {
      for (const outcome of ['ok', 'error'] as const) this.counterFor(op, outcome);
      this.histogramFor(op);
    }
    for (const code of ERROR_CODES) this.errors.inc({ code }, 0);
  }

  connectionOpened(): void {
    this.open.inc();
    this.accepted.inc();
  }

  connectionClosed(): void {
    this.open.dec();
  }

  requestCompleted(op: string, outcome: RequestOutcome, seconds: number): void {
    this.counterFor(op, outcome).inc();
    this.histogramFor(op).observe(seconds);
  }

  errorReplied(code: ErrorCode): void {
    this.errors.inc({ code });
  }

  private counterFor(op: string, outcome: RequestOutcome): Counter.Internal {
    const key = `${op} ${outcome}`;
    let counter = this.requestsByLabels.get(key);
    if (counter === undefined) {
      counter = this.requests.labels({ op, outcome });
      counter.inc(0);
      this.requestsByLabels.set(key, counter);
    }
    return counter;
  }

  private histogramFor(op: string): Histogram.Internal<'op'> {
    let histogram = this.durationByOp.get(op);
    if (histogram === undefined) {
      this.duration.zero({ op });
      histogram = this.duration.labels({ op });
      this.durationByOp.set(op, histogram);
    }
    return histogram;
  }
}
