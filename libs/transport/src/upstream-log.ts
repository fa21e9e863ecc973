import { Logger } from '@nestjs/common';
import { Throttle } from './throttle';

/** How often, at most, a server that stays unreachable is named again. */
export const DOWN_REMINDER_MS = 30_000;

/** Why a connection to the server failed or ended, in a word an operator reads. */
export function failureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * The log lines of the proxy's connection to its server, one per change of state: connected
 * (after how long down), lost or unreachable (why), and while it stays down a reminder at most
 * every `reminderMs`, never one line per attempt (those are at debug).
 */
export class UpstreamLog {
  private readonly log = new Logger('Upstream');
  /** When the server was found down (ms since epoch); undefined while it is up or not tried yet. */
  private downSince: number | undefined;
  private readonly reminders: Throttle;

  constructor(
    private readonly upstream: string,
    reminderMs = DOWN_REMINDER_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.reminders = new Throttle(reminderMs, now);
  }

  connected(): void {
    const { upstream, downSince } = this;
    this.downSince = undefined;
    if (downSince === undefined) this.log.log({ msg: 'upstream connected', upstream });
    else this.log.log({ msg: 'upstream connected', upstream, downMs: this.now() - downSince });
  }

  lost(reason: string): void {
    this.down('upstream lost', reason);
  }

  /** An attempt to connect failed; the next is in `retryInMs`. */
  attemptFailed(reason: string, retryInMs: number): void {
    const { upstream, downSince } = this;
    this.log.debug({
      msg: 'upstream connection failed',
      upstream,
      reason,
      retryInMs: Math.round(retryInMs),
    });
    if (downSince === undefined) return this.down('upstream unreachable', reason);
    const attempts = this.reminders.count();
    if (attempts > 0) {
      const downMs = this.now() - downSince;
      this.log.warn({ msg: 'upstream still down', upstream, reason, downMs, attempts });
    }
  }

  private down(msg: string, reason: string): void {
    this.downSince = this.now();
    this.reminders.restart();
    this.log.warn({ msg, upstream: this.upstream, reason });
  }
}
