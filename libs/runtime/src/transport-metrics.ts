import { Inject, Injectable } from '@nestjs/common';
import type { EventLog } from '@semicache/events';
import { ERROR_CODES, type ErrorCode, OPS } from '@semicache/protocol';
import type { RequestOutcome, TransportObserver } from '@semicache/transport';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type CounterSlot, type HistogramSlot, HotCounter, HotHistogram } from './hot-path-metrics';
import { EVENT_LOG } from './events/events.tokens';
import { METRICS_REGISTRY } from './metrics.tokens';

/** Latency buckets from 50 µs to 2.5 s: a cache hit sits at the bottom, a timeout at the top. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** The protocol listener's metrics, the same in both apps (Prometheus's `job` tells them apart). */
@Injectable()
export class TransportMetrics implements TransportObserver {
  private readonly requests: HotCounter<'op' | 'outcome'>;
  private readonly duration: HotHistogram<'op' | 'source'>;
  private readonly errors: HotCounter<'code'>;
  private readonly open: Gauge;
  private readonly accepted: Counter;
  // Every series exists from the start at 0, so rate() and the latency quantiles see the
  // first request of each kind; the slots of the known label sets are looked up once.
  private readonly requestSlots = new Map<string, Record<RequestOutcome, CounterSlot>>();
  private readonly durationSlots = new Map<string, Record<string, HistogramSlot>>();
  private readonly errorSlots = new Map<string, CounterSlot>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, @Inject(EVENT_LOG) events: EventLog) {
    const registers = [registry];
    this.requests = new HotCounter({
      name: 'semicache_requests_total',
      help: 'Protocol requests answered, by OP and outcome (ok or error).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.duration = new HotHistogram(
      'semicache_request_duration_seconds',
      'Time from a request being framed to its reply being ready, by OP and where the answer came from.',
      LATENCY_BUCKETS,
      registry,
    );
    this.errors = new HotCounter({
      name: 'semicache_protocol_errors_total',
      help: 'Error replies sent, by error CODE.',
      labelNames: ['code'],
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
    for (const op of [...OPS, 'none']) {
      this.requestSlots.set(op, {
        ok: this.requests.slot({ op, outcome: 'ok' }),
        error: this.requests.slot({ op, outcome: 'error' }),
      });
      // A message whose OP cannot be read is always an error.
      const sources = op === 'none' ? ['error'] : [...events.sources, 'error'];
      this.durationSlots.set(
        op,
        Object.fromEntries(sources.map((source) => [source, this.duration.slot({ op, source })])),
      );
    }
    for (const code of ERROR_CODES) this.errorSlots.set(code, this.errors.slot({ code }));
  }

  connectionOpened(): void {
    this.open.inc();
    this.accepted.inc();
  }

  connectionClosed(): void {
    this.open.dec();
  }

  requestCompleted(op: string, outcome: RequestOutcome, seconds: number, source: string): void {
    this.requestSlots.get(op)![outcome].count++;
    this.durationSlots.get(op)![source].observe(seconds);
  }

  errorReplied(code: ErrorCode): void {
    this.errorSlots.get(code)!.count++;
  }
}
