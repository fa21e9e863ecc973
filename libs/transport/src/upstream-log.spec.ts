import { Logger, type LoggerService } from '@nestjs/common';
import { UpstreamLog, failureReason } from './upstream-log';

type Line = { level: string; msg: string; [field: string]: unknown };

/** Every line logged through Nest's Logger, as level and fields. */
function recordLines(): Line[] {
  const lines: Line[] = [];
  const record =
    (level: string) =>
    (message: { msg: string }): void => {
      lines.push({ level, ...message });
    };
  const recorder: LoggerService = {
    log: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  };
  Logger.overrideLogger(recorder);
  return lines;
}

describe('UpstreamLog', () => {
  let now: number;
  let lines: Line[];
  const notDebug = () => lines.filter((line) => line.level !== 'debug');

  beforeEach(() => {
    now = 1_000_000;
    lines = recordLines();
  });

  it('names an upstream down from the start once, then reminds at most every 30 s, never per attempt', () => {
    const log = new UpstreamLog('127.0.0.1:6002', 30_000, () => now);
    log.attemptFailed('refused', 50);
    expect(notDebug()).toEqual([
      { level: 'warn', msg: 'upstream unreachable', upstream: '127.0.0.1:6002', reason: 'refused' },
    ]);
    for (let i = 0; i < 100; i++) {
      now += 290;
      log.attemptFailed('refused', 2000);
    }
    // 29 s of attempts: one debug line each, nothing more at info or warn.
    expect(notDebug()).toHaveLength(1);
    expect(lines.filter((line) => line.level === 'debug')).toHaveLength(101);
    now += 1000;
    log.attemptFailed('timeout', 2000);
    expect(notDebug()[1]).toEqual({
      level: 'warn',
      msg: 'upstream still down',
      upstream: '127.0.0.1:6002',
      reason: 'timeout',
      downMs: 30_000,
      attempts: 101,
    });
    now += 500;
    log.connected();
    expect(notDebug()[2]).toEqual({
      level: 'info',
      msg: 'upstream connected',
      upstream: '127.0.0.1:6002',
      downMs: 30_500,
    });
    expect(notDebug()).toHaveLength(3);
  });

  it('tells a first connection without a downtime, then a loss with its reason and the way back', () => {
    const log = new UpstreamLog('h:1', 30_000, () => now);
    log.connected();
    now += 60_000;
    log.lost('reset');
    now += 10;
    log.attemptFailed('refused', 100);
    now += 1_234;
    log.connected();
    expect(notDebug()).toEqual([
      { level: 'info', msg: 'upstream connected', upstream: 'h:1' },
      { level: 'warn', msg: 'upstream lost', upstream: 'h:1', reason: 'reset' },
      { level: 'info', msg: 'upstream connected', upstream: 'h:1', downMs: 1_244 },
    ]);
  });
});

describe('failureReason', () => {
  const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'unknown host'],
    ['EHOSTUNREACH', 'unreachable'],
    ['EACCES', 'EACCES'],
  ])('%s is %s', (code, reason) => {
    expect(failureReason(errno(code))).toBe(reason);
  });

  it('gives the message of an error without a code', () => {
    expect(failureReason(new Error('something else'))).toBe('something else');
  });
});
