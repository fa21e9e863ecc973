/** Stable, machine-readable error codes. Never rename one: clients match on them. */
export const ERROR_CODES = [
  'BAD_SYNTAX',
  'UNKNOWN_OP',
  'BAD_INDEX',
  'BAD_DATA',
  'COUNT_MISMATCH',
  'TOO_MANY',
  'TOO_LONG',
  'OVERFLOW',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'BUSY',
  'STORE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: string): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

/** A reply's MSG is one printable line without `;`, so anything else is replaced. */
function toOneLine(message: string): string {
  return message.replace(/[^\x20-\x3a\x3c-\x7e]/g, '?').trim();
}

/** The one error type of the protocol: a stable code and a message for a person. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(toOneLine(message));
    this.name = 'ProtocolError';
  }
}

/** Shows at most `max` characters of untrusted input inside an error message. */
export function excerpt(text: string, max = 24): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
