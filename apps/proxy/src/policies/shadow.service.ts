import { Inject, Injectable } from '@nestjs/common';
import type { PoliciesView } from '@semicache/client';
import {
  EVICTION_POLICIES,
  type EvictionPolicyName,
  MAX_SHADOW_CAPACITY,
  type PolicyResult,
  SHADOW_BATCH,
  ShadowBank,
} from '@semicache/policies';
import type { CacheListener } from '../cache/cache-listener';
import { PROXY_CONFIG, type ProxyConfig } from '../config/proxy-config';
import { type OptRun, optWithin } from './opt-window';
import { TraceRing } from './trace-ring';

/**
 * Operations the bank gathers before it applies them, in the next turn of the event loop: half
 * its batch, so that it seldom has to flush a full one on the reply path.
 */
const FLUSH_AT = SHADOW_BATCH / 2;

/** One OPT run over the trace ring, and what the ring held when it began. */
interface OptComputation {
  readonly ring: TraceRing;
  readonly total: number;
  readonly entries: number;
  readonly lookups: number;
  readonly coversShadows: boolean;
  readonly budgetMs: number;
  running: boolean;
  readonly run: Promise<OptRun>;
}

/** How long computing OPT for one `GET /policies` may take before it stops at a capacity. */
export const OPT_BUDGET_MS = 1000;

/** The shadows' largest capacity for a live capacity: as asked, or twice it (at most 64). */
export function shadowRange(capacity: number, asked: number | undefined): number {
  const live = Math.min(capacity, MAX_SHADOW_CAPACITY);
  return asked === undefined ? Math.min(2 * capacity, MAX_SHADOW_CAPACITY) : Math.max(asked, live);
}

/**
 * The shadow caches (`--shadows on`): a ShadowBank of every policy at capacities
 * 1..`--shadow-max-capacity`, fed everything the live cache does (it is one of the cache's
 * listeners), and a ring of the recent trace for OPT. When a new live capacity needs a larger
 * range, the bank and the ring start afresh at that range (see docs/policies.md).
 */
@Injectable()
export class ShadowService implements CacheListener<unknown> {
  readonly enabled: boolean;
  private readonly asked: number | undefined;
  private readonly window: number;
  private live: { policy: EvictionPolicyName; capacity: number };
  private bank!: ShadowBank;
  private trace!: TraceRing;
  private since!: Date;
  private bypassedLookups = 0;
  private skippedFills = 0;
  /** Whether the bank's batch is to be applied in the next turn of the event loop. */
  private flushing = false;
  private readonly flushBank = () => {
    this.flushing = false;
    this.bank.flush();
  };
  /** The last OPT begun (maybe still running), and what it covers. */
  private opt: OptComputation | undefined;

  constructor(@Inject(PROXY_CONFIG) config: ProxyConfig) {
    this.enabled = config.shadows;
    this.asked = config.shadowMaxCapacity;
    this.window = config.traceWindow;
    this.live = { policy: config.eviction, capacity: config.capacity };
    if (this.enabled) this.start(shadowRange(config.capacity, this.asked));
  }

  get maxCapacity(): number {
    return this.bank.maxCapacity;
  }

  hit(_cause: unknown, index: number): void {
    this.bank.lookup(index, true);
    this.trace.lookup(index);
    this.flushSoon();
  }

  miss(_cause: unknown, index: number, _now: number, bypassed: boolean): void {
    if (bypassed) {
      this.bank.lookupBypassed();
      this.bypassedLookups++;
    } else {
      this.bank.lookup(index, false);
      this.flushSoon();
    }
    this.trace.lookup(index);
  }

  stored(_cause: unknown, index: number): void {
    this.bank.fill(index);
    this.flushSoon();
  }

  skipped(): void {
    this.skippedFills++;
  }

  written(_cause: unknown, index: number): void {
    this.bank.write(index);
    this.trace.write(index);
    this.flushSoon();
  }

  evicted(): void {
    // Each shadow evicts by itself, when it stores.
  }

  dropped(_cause: unknown, index: number): void {
    this.bank.remove(index);
    this.flushSoon();
  }

  cleared(): void {
    this.bank.clear();
    this.trace.clear();
    this.flushSoon();
  }

  configured(_cause: unknown, policy: EvictionPolicyName, capacity: number): void {
    this.live = { policy, capacity };
    const range = shadowRange(capacity, this.asked);
    if (range > this.bank.maxCapacity) this.start(range);
  }

  /** Every shadow's counts, policy by policy, capacity 1 first. */
  results(): PolicyResult[] {
    return this.bank.results();
  }

  /**
   * Everything `GET /policies` shows; OPT is computed for it (within `budgetMs`). One OPT runs at
   * a time: a request while it runs awaits it; a finished one is reused while the trace has not
   * moved. The rest is read at once, so the live pair and the shadows agree.
   */
  async view(budgetMs = OPT_BUDGET_MS): Promise<PoliciesView> {
    const live = { ...this.live };
    const shadows = {
      since: this.since.toISOString(),
      maxCapacity: this.bank.maxCapacity,
      bypassedLookups: this.bypassedLookups,
      skippedFills: this.skippedFills,
      results: this.bank.results(),
    };
    const opt = await this.optOver(this.trace, budgetMs);
    const { results, complete, elapsedMs } = await opt.run;
    return {
      live,
      shadows,
      opt: {
        window: this.window,
        entries: opt.entries,
        lookups: opt.lookups,
        coversShadows: opt.coversShadows,
        complete,
        elapsedMs: Math.round(elapsedMs),
        budgetMs: opt.budgetMs,
        results,
      },
    };
  }

  /**
   * The OPT run over `ring` to show: the one running, or the last one if `ring` has not moved
   * since, or a new one. A run over an earlier ring (the shadows restarted) is awaited first,
   * so that two never run side by side.
   */
  private async optOver(ring: TraceRing, budgetMs: number): Promise<OptComputation> {
    let last = this.opt;
    while (last?.running && last.ring !== ring) {
      await last.run;
      last = this.opt;
    }
    if (last?.ring === ring && (last.running || last.total === ring.total)) return last;
    const maxCapacity = this.bank.maxCapacity;
    const computation: OptComputation = {
      ring,
      total: ring.total,
      entries: Math.min(ring.total, ring.size),
      lookups: ring.lookups,
      coversShadows: ring.complete,
      budgetMs,
      running: true,
      run: optWithin(() => ring.packed(), maxCapacity, budgetMs).finally(() => {
        computation.running = false;
      }),
    };
    this.opt = computation;
    return computation;
  }

  /**
   * The bank applies its batch in the next turn of the event loop, after the replies of this one
   * are written (or before, when it is full): off the reply path, and once for all the lookups of
   * a turn (see ShadowBank).
   */
  private flushSoon(): void {
    if (this.flushing || this.bank.waiting < FLUSH_AT) return;
    this.flushing = true;
    setImmediate(this.flushBank);
  }

  /** A fresh bank (every policy, capacities 1..range) and trace. */
  private start(range: number): void {
    this.bank = new ShadowBank({ policies: EVICTION_POLICIES, maxCapacity: range });
    this.trace = new TraceRing(this.window);
    this.since = new Date();
    this.bypassedLookups = 0;
    this.skippedFills = 0;
  }
}
