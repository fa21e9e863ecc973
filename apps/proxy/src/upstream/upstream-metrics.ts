import { Inject, Injectable } from '@nestjs/common';
import {
  type CounterSlot,
  type HistogramSlot,
  HotCounter,
  HotHistogram,
  LATENCY_BUCKETS,
  METRICS_REGISTRY,
} from '@semicache/runtime';
import {
  UPSTREAM_OUTCOMES,
  type UpstreamObserver,
  type UpstreamOutcome,
} from '@semicache/transport';
import { Counter, Gauge, type Registry } from 'prom-client';

@Injectable()
export class UpstreamMetrics implements UpstreamObserver {
  private readonly up: Gauge;
  private readonly connects: Counter;
  // One request upstream per miss: the per-request series are plain numbers (see HotCounter).
  private readonly requests = new Map<string, CounterSlot>();
  private readonly durations = new Map<string, HistogramSlot>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.up = new Gauge({
      name: 'semicache_upstream_up',
      help: '1 while the proxy holds a connection to the server, else 0.',
      registers,
    });
    this.connects = new Counter({
      name: 'semicache_upstream_connects_total',
      help: 'Connections made to the server (the first and every reconnection).',
      registers,
    });
    const requests = new HotCounter({
      name: 'semicache_upstream_requests_total',
      help: 'Requests the proxy sent to the server, by OP and outcome (ok, error, timeout, unavailable).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    const duration = new HotHistogram<'op'>(
      'semicache_upstream_request_duration_seconds',
      'Round trip of requests to the server, by OP.',
      LATENCY_BUCKETS,
      registry,
    );
    // Every series from the start, at 0 (see TransportMetrics): the proxy sends GET, PUT and CLR.
    for (const op of ['GET', 'PUT', 'CLR']) {
      for (const outcome of UPSTREAM_OUTCOMES) {
        this.requests.set(`${op} ${outcome}`, requests.slot({ op, outcome }));
      }
      this.durations.set(op, duration.slot({ op }));
    }
  }

  stateChanged(up: boolean): void {
    this.up.set(up ? 1 : 0);
    if (up) this.connects.inc();
  }

  requestCompleted(op: string, outcome: UpstreamOutcome, seconds: number): void {
    this.requests.get(`${op} ${outcome}`)!.count++;
    if (outcome !== 'unavailable') this.durations.get(op)!.observe(seconds);
  }
}
