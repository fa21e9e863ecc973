import {
  AdminRequestError,
  type Framing,
  ProtocolConnection,
  ReplyTimeoutError,
} from '@semicache/client';

/** Exit statuses of the CLI (also used as the status of a piped prompt session). */
export const EXIT = { ok: 0, errorReply: 1, usage: 2, connection: 3 } as const;

/** A failure with the one-line message for stderr and the exit status it means. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A failure already shown in the command's own output (e.g. `raw`'s error reply): only its exit status is left. */
export class ShownFailure extends CliError {
  constructor(exitCode: number) {
    super('the failure was printed with the output', exitCode);
    this.name = 'ShownFailure';
  }
}

/**
 * An admin API failure as the CLI reports it: no answer is a connection failure, a refusal (an
 * HTTP status with its message) an error reply. Anything else is returned as it is.
 */
export function adminFailure(error: unknown): unknown {
  if (!(error instanceof AdminRequestError)) return error;
  return new CliError(
    error.message,
    error.status === undefined ? EXIT.connection : EXIT.errorReply,
  );
}

/** One connection to a proxy or server, opened on first use and reopened after it closes. */
export class Session {
  private connection: ProtocolConnection | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly timeoutMs: number,
    readonly framing: Framing,
  ) {}

  get target(): string {
    return `${this.host}:${this.port}`;
  }

  /** Sends one message as is and resolves with the raw reply. */
  async send(message: string): Promise<string> {
    const connection = await this.connect();
    try {
      return await connection.send(message, this.timeoutMs);
    } catch (error) {
      if (!(error instanceof ReplyTimeoutError)) {
        throw new CliError(`${this.target} closed the connection before replying`, EXIT.connection);
      }
      // Given up, unless it is bare (a bare peer may take one connection in its life): then it
      // is kept, and the late reply is dropped when it comes.
      if (connection.framing !== 'bare') this.close();
      throw new CliError(
        `no reply from ${this.target} within ${this.timeoutMs} ms`,
        EXIT.connection,
      );
    }
  }

  close(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  private async connect(): Promise<ProtocolConnection> {
    if (this.connection !== undefined && !this.connection.closed) return this.connection;
    try {
      this.connection = await ProtocolConnection.open(this.host, this.port, this.timeoutMs, {
        framing: this.framing,
      });
      return this.connection;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ECONNREFUSED' ? 'connection refused' : (error as Error).message;
      throw new CliError(
        `cannot connect to ${this.target}: ${why} (is semicache running? start it with "npm start")`,
        EXIT.connection,
      );
    }
  }
}
