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
  /** The last OPT computed, and the trace it covered: reused while no entry is added. */
  private opt: { total: number; run: Promise<OptRun> } | undefined;

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

  /** Everything `GET /policies` shows; OPT is computed for it (within OPT_BUDGET_MS). */
  async view(budgetMs = OPT_BUDGET_MS): Promise<PoliciesView> {
    const shadows = {
      since: this.since.toISOString(),
      maxCapacity: this.bank.maxCapacity,
      bypassedLookups: this.bypassedLookups,
      skippedFills: this.skippedFills,
      results: this.bank.results(),
    };
    const trace = this.trace;
    const { total, lookups } = trace;
    const entries = Math.min(total, trace.size);
    if (this.opt?.total !== total) {
      const run = optWithin(trace.entries(), shadows.maxCapacity, budgetMs);
      this.opt = { total, run };
    }
    const { results, complete, elapsedMs } = await this.opt.run;
    return {
      live: { ...this.live },
      shadows,
      opt: {
        window: this.window,
        entries,
        lookups,
        coversShadows: trace.complete,
        complete,
        elapsedMs: Math.round(elapsedMs),
        budgetMs,
        results,
      },
    };
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
    this.opt = undefined;
  }
}
