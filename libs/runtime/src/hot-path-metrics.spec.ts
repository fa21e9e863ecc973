import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-path-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [string, number][] = [
  ['GET', 0.0005],
  ['GET', 0.001],
  ['GET', 0.05],
  ['PUT', 3],
  ['GET', 0.2],
  ['PUT', 0.01],
];

describe('hot-path metrics', () => {
  it('write the same exposition as prom-client’s own Histogram', async () => {
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'latency_seconds',
      help: 'latency',
      labelNames: ['op'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const ours = new Registry();
    const histogram = new HotHistogram<'op'>('latency_seconds', 'latency', BUCKETS, ours);

    for (const op of ['GET', 'PUT', 'ADD']) {
      reference.zero({ op });
      histogram.slot({ op });
    }
    for (const [op, value] of OBSERVATIONS) {
      reference.observe({ op }, value);
      histogram.slot({ op }).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('write the same exposition as prom-client’s own Counter, every scrape', async () => {
    const theirs = new Registry();
    const reference = new Counter({
      name: 'requests_total',
      help: 'requests',
      labelNames: ['op', 'outcome'],
      registers: [theirs],
    });
    const ours = new Registry();
    const counter = new HotCounter({
      name: 'requests_total',
      help: 'requests',
      labelNames: ['op', 'outcome'],
      registers: [ours],
    });

    reference.inc({ op: 'GET', outcome: 'ok' }, 0);
    const getOk = counter.slot({ op: 'GET', outcome: 'ok' });
    expect(await ours.metrics()).toBe(await theirs.metrics());

    for (let i = 0; i < 3; i++) {
      reference.inc({ op: 'GET', outcome: 'ok' });
      getOk.count++;
    }
    reference.inc({ op: 'PUT', outcome: 'error' });
    counter.slot({ op: 'PUT', outcome: 'error' }).count++;
    expect(await ours.metrics()).toBe(await theirs.metrics());

    reference.inc({ op: 'GET', outcome: 'ok' });
    getOk.count++;
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
