import { Logger } from '@nestjs/common';
import { AppLogger, appPino } from './logging';

/** An AppLogger at `level` whose lines are collected, parsed. */
function collect(level: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = new AppLogger(
    appPino('proxy', level, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  );
  logger.started = true;
  return { logger, lines };
}

describe('AppLogger (pino behind Nest)', () => {
  it('writes an object message as its msg and fields, with the level by name, the time and the app', () => {
    const { logger, lines } = collect('info');
    logger.warn({ msg: 'upstream lost', upstream: 'h:1', reason: 'reset' }, 'Upstream');
    expect(lines).toEqual([
      {
        level: 'warn',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        app: 'proxy',
        pid: process.pid,
        context: 'Upstream',
        upstream: 'h:1',
        reason: 'reset',
        msg: 'upstream lost',
      },
    ]);
  });

  it("takes Nest's own ways of calling it: a string, error with a stack and a context, an Error", () => {
    const { logger, lines } = collect('info');
    logger.log('plain', 'Ctx');
    logger.error('failed', 'Error: x\n    at f (file.js:1:1)', 'Ctx');
    logger.error('no stack', undefined, 'Ctx');
    logger.error('context alone', 'Ctx');
    logger.error(new Error('boom'));
    const pick = (line: Record<string, unknown>) => ({
      level: line.level,
      msg: line.msg,
      context: line.context,
      stack: line.stack,
      err: (line.err as { message?: string } | undefined)?.message,
    });
    expect(lines.map(pick)).toEqual([
      { level: 'info', msg: 'plain', context: 'Ctx' },
      { level: 'error', msg: 'failed', context: 'Ctx', stack: 'Error: x\n    at f (file.js:1:1)' },
      { level: 'error', msg: 'no stack', context: 'Ctx' },
      { level: 'error', msg: 'context alone', context: 'Ctx' },
      { level: 'error', msg: 'boom', err: 'boom' },
    ]);
  });

  it("keeps Nest's start-up chatter, and errors logged while starting, for debug", () => {
    const { logger, lines } = collect('info');
    logger.started = false;
    logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    logger.error('the start failed', 'Error: x\n    at f (file.js:1:1)', 'ExceptionHandler');
    expect(lines).toEqual([]);

    const verbose = collect('debug');
    verbose.logger.started = false;
    verbose.logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    verbose.logger.error('the start failed', undefined, 'ExceptionHandler');
    expect(verbose.lines.map((line) => [line.level, line.context])).toEqual([
      ['debug', 'RouterExplorer'],
      ['debug', 'ExceptionHandler'],
    ]);
  });

  it('serves the Logger of any class once installed as Nest’s, at its level', () => {
    const { logger, lines } = collect('warn');
    Logger.overrideLogger(logger);
    const component = new Logger('Component');
    component.log({ msg: 'below the level' });
    component.warn({ msg: 'worth a look', conn: 3 });
    expect(lines).toEqual([
      expect.objectContaining({ context: 'Component', conn: 3, msg: 'worth a look' }),
    ]);
  });
});
