/** One log line of an app (`--log-format json`, the default when stderr is not a terminal). */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly time: string;
  readonly app: 'server' | 'proxy';
  readonly msg: string;
  readonly context?: string;
  readonly [field: string]: unknown;
}

/** Every whole line of `stderr` (a process still running may be amid one), each one JSON object. */
export function logLines(stderr: string): LogLine[] {
  return stderr
    .slice(0, stderr.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** The lines of `stderr` with this message. */
export function linesWith(stderr: string, msg: string): LogLine[] {
  return logLines(stderr).filter((line) => line.msg === msg);
}
