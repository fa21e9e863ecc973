import { ProtocolError, excerpt, isErrorCode } from './errors';
import { INT64_MAX, INT64_MIN } from './int64';
import { OPS, type Op, type Reply, type Request } from './messages';
import { replyMismatch } from './validate';

/** The largest index the protocol accepts; the table's own size is checked by `assertIndicesWithin`. */
export const MAX_INDEX = 2 ** 31 - 1;
/** ADD sums at most this many indices (the assignment's limit). */
export const DEFAULT_MAX_ADD_INDICES = 5;

export interface ParseOptions {
  /** How many indices one ADD may name. */
  readonly maxAddIndices?: number;
}

type Key = 'OP' | 'IND' | 'DATA' | 'CODE' | 'MSG';
/** Marks a key seen more than once where that is only an error if the key is read. */
const REPEATED = Symbol('repeated');
type Fields = Partial<Record<Key, string | typeof REPEATED>>;

/** The keys a kind of message knows, and how it treats the others. */
interface Grammar {
  readonly keys: ReadonlySet<string>;
  /**
   * Replies (read by our clients from any peer): other keys are skipped, and a repeated key is
   * an error only if the reply's OP uses it. Requests reject both at once.
   */
  readonly skipsWhatItDoesNotUse: boolean;
}

const REQUEST_GRAMMAR: Grammar = {
  keys: new Set<Key>(['OP', 'IND', 'DATA']),
  skipsWhatItDoesNotUse: false,
};
const REPLY_GRAMMAR: Grammar = {
  keys: new Set<Key>(['OP', 'IND', 'DATA', 'CODE', 'MSG']),
  skipsWhatItDoesNotUse: true,
};
const KNOWN_OPS: ReadonlySet<string> = new Set(OPS);
// Numbers are read alike in IND and DATA: an optional `+` and leading zeros are lenient forms.
const INDEX_TOKEN = /^\+?\d+$/;
const VALUE_TOKEN = /^[+-]?\d+$/;
// 19 digits hold every int64; more can only be OVERFLOW (checked before BigInt sees a huge string).
const MAX_VALUE_DIGITS = 19;

const NOT_PRINTABLE = 'message contains a byte that is not printable ASCII';

/** Printable ASCII, space and tab: everything else (control bytes, NUL, any byte >= 0x80, so also invalid UTF-8) is rejected. */
function isPrintable(code: number): boolean {
  return (code >= 0x20 && code <= 0x7e) || code === 0x09;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09) return false;
  }
  return true;
}

/** Canonical keys need no trimming or case change: the common case costs no allocation. */
function normalizeKey(raw: string): string {
  return raw === 'OP' || raw === 'IND' || raw === 'DATA' ? raw : raw.trim().toUpperCase();
}

/** `None` in any case: the placeholder a peer may send for a field the operation does not use. */
function isNone(value: string): boolean {
  return value.length === 4 && value.toLowerCase() === 'none';
}

/**
 * Splits `KEY=VALUE;KEY=VALUE;` into fields in one pass. Lenient in form (spaces around tokens,
 * lower case, a missing final `;`); which keys it takes is the grammar's.
 */
function splitFields(text: string, grammar: Grammar): Fields {
  const fields: Fields = {};
  let empty = true;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf(';', start);
    if (end === -1) end = text.length;
    let eq = -1;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      if (!isPrintable(code)) throw new ProtocolError('BAD_SYNTAX', NOT_PRINTABLE);
      if (code === 0x3d && eq === -1) eq = i;
    }
    // What follows the last `;` may be blank: the final `;` is optional, spaces are lenient.
    if (end === text.length && isBlank(text, start, end)) break;
    if (eq === -1) {
      const shown = text.slice(start, end).trim();
      throw new ProtocolError(
        'BAD_SYNTAX',
        shown === ''
          ? 'empty field between two semicolons'
          : `field "${excerpt(shown)}" is not KEY=VALUE`,
      );
    }
    const key = normalizeKey(text.slice(start, eq));
    if (!grammar.keys.has(key)) {
      if (!grammar.skipsWhatItDoesNotUse || key === '') {
        throw new ProtocolError('BAD_SYNTAX', `unknown key "${excerpt(key)}"`);
      }
    } else if (fields[key as Key] === undefined) {
      fields[key as Key] = text.slice(eq + 1, end).trim();
    } else if (grammar.skipsWhatItDoesNotUse) {
      fields[key as Key] = REPEATED;
    } else {
      throw new ProtocolError('BAD_SYNTAX', `repeated key ${key}`);
    }
    empty = false;
    start = end + 1;
  }
  if (empty) throw new ProtocolError('BAD_SYNTAX', 'empty message');
  return fields;
}

/** The value of a key that is read, if present: present once. */
function single(fields: Fields, key: Key): string | undefined {
  const value = fields[key];
  if (value === REPEATED) throw new ProtocolError('BAD_SYNTAX', `repeated key ${key}`);
  return value;
}

function parseOp(fields: Fields): string {
  const op = single(fields, 'OP');
  if (op === undefined) throw new ProtocolError('BAD_SYNTAX', 'missing OP');
  return KNOWN_OPS.has(op) ? op : op.toUpperCase();
}

function listItems(key: Key, value: string): string[] {
  if (value === '') throw new ProtocolError('BAD_SYNTAX', `${key} is empty`);
  const items = value.split(',');
  for (let i = 0; i < items.length; i++) {
    const item = items[i].trim();
    if (item === '') throw new ProtocolError('BAD_SYNTAX', `empty item in ${key}`);
    items[i] = item;
  }
  return items;
}

/**
 * The common case, `12,3,7`, read in one pass with no allocation but the result; undefined for
 * anything else (spaces, signs, huge or malformed items), which the general path then reads,
 * or rejects with the right error.
 */
function plainNumbers(value: string, maxDigits: number, signed: boolean): number[] | undefined {
  const numbers: number[] = [];
  let number = 0;
  let digits = 0;
  let negative = false;
  for (let i = 0; i <= value.length; i++) {
    const code = i < value.length ? value.charCodeAt(i) : 0x2c;
    if (code >= 0x30 && code <= 0x39) {
      if (++digits > maxDigits) return undefined;
      number = number * 10 + (code - 0x30);
    } else if (code === 0x2c && digits > 0) {
      numbers.push(negative ? -number : number);
      number = 0;
      digits = 0;
      negative = false;
    } else if (code === 0x2d && signed && digits === 0 && !negative) {
      negative = true;
    } else {
      return undefined;
    }
  }
  return numbers;
}

function parseIndices(value: string): number[] {
  const plain = plainNumbers(value, 9, false);
  if (plain !== undefined) return plain;
  return listItems('IND', value).map((token) => {
    if (!INDEX_TOKEN.test(token)) {
      throw new ProtocolError(
        'BAD_INDEX',
        `index "${excerpt(token)}" is not a non-negative integer`,
      );
    }
    // Only significant digits count toward the limit.
    const digits = token.replace(/^\+?0*(?=\d)/, '');
    const index = digits.length > 10 ? Infinity : Number(digits);
    if (index > MAX_INDEX) {
      throw new ProtocolError('BAD_INDEX', `index ${excerpt(token)} is larger than ${MAX_INDEX}`);
    }
    return index;
  });
}

/** Parses one signed 64-bit integer as the protocol writes it; throws BAD_DATA or OVERFLOW. */
export function parseInt64(token: string): bigint {
  if (!VALUE_TOKEN.test(token)) {
    throw new ProtocolError('BAD_DATA', `value "${excerpt(token)}" is not an integer`);
  }
  const digits = token.replace(/^[+-]?0*/, '');
  const value = digits.length > MAX_VALUE_DIGITS ? undefined : BigInt(token);
  if (value === undefined || value < INT64_MIN || value > INT64_MAX) {
    throw new ProtocolError(
      'OVERFLOW',
      `value ${excerpt(token)} is outside the signed 64-bit range`,
    );
  }
  return value;
}

function parseValues(value: string): bigint[] {
  // Up to 15 digits a double holds the value exactly.
  const plain = plainNumbers(value, 15, true);
  if (plain !== undefined) return plain.map(BigInt);
  return listItems('DATA', value).map(parseInt64);
}

/** A request's fields that its operation does not use: absent, or the `None` placeholder. */
function unused(fields: Fields, op: string, ...keys: Key[]): void {
  for (const key of keys) {
    const value = fields[key];
    if (value !== undefined && !(typeof value === 'string' && isNone(value))) {
      throw new ProtocolError('BAD_SYNTAX', `${op} takes no ${key}`);
    }
  }
}

/** A field the operation uses: present once, with a value rather than the `None` placeholder. */
function required(fields: Fields, op: string, key: Key): string {
  const value = single(fields, key);
  if (value === undefined) throw new ProtocolError('BAD_SYNTAX', `${op} needs ${key}`);
  if (isNone(value)) throw new ProtocolError('BAD_SYNTAX', `${op} needs ${key}, got None`);
  return value;
}

function countsMatch(indices: readonly number[], values: readonly bigint[]): void {
  if (indices.length !== values.length) {
    throw new ProtocolError(
      'COUNT_MISMATCH',
      `IND has ${indices.length} item(s) but DATA has ${values.length}`,
    );
  }
}

/**
 * Parses one request. Throws a `ProtocolError` for anything that is not a valid request: strict
 * but for form, and for `None` in a field the operation does not use.
 */
export function parseRequest(text: string, options: ParseOptions = {}): Request {
  const fields = splitFields(text, REQUEST_GRAMMAR);
  const op = parseOp(fields);
  if (!KNOWN_OPS.has(op)) throw new ProtocolError('UNKNOWN_OP', `unknown OP "${excerpt(op)}"`);
  switch (op as Op) {
    case 'GET': {
      unused(fields, op, 'DATA');
      return { op: 'GET', indices: parseIndices(required(fields, op, 'IND')) };
    }
    case 'PUT': {
      const indices = parseIndices(required(fields, op, 'IND'));
      const values = parseValues(required(fields, op, 'DATA'));
      countsMatch(indices, values);
      return { op: 'PUT', indices, values };
    }
    case 'CLR': {
      unused(fields, op, 'IND', 'DATA');
      return { op: 'CLR' };
    }
    case 'ADD': {
      unused(fields, op, 'DATA');
      const indices = parseIndices(required(fields, op, 'IND'));
      const max = options.maxAddIndices ?? DEFAULT_MAX_ADD_INDICES;
      if (indices.length > max) {
        throw new ProtocolError(
          'TOO_MANY',
          `ADD takes at most ${max} indices, got ${indices.length}`,
        );
      }
      return { op: 'ADD', indices };
    }
  }
}

/**
 * Whether `text` already is a whole request: it parses. Unterminated input that is one is taken
 * after the short bare-message pause; anything else may be the front of a message still coming.
 */
export function isCompleteRequest(text: string, options?: ParseOptions): boolean {
  try {
    parseRequest(text, options);
    return true;
  } catch (error) {
    if (error instanceof ProtocolError) return false;
    throw error;
  }
}

/**
 * Parses one reply (what a server or proxy answers). Read for the fields its OP uses; any other
 * field (unknown, a placeholder, `CODE=200` on a GET) is skipped, so replies of other
 * implementations are understood. Throws a `ProtocolError` if it is not a reply.
 */
export function parseReply(text: string): Reply {
  const fields = splitFields(text, REPLY_GRAMMAR);
  const op = parseOp(fields);
  if (op === 'ERR') {
    const code = required(fields, op, 'CODE');
    if (!isErrorCode(code))
      throw new ProtocolError('BAD_SYNTAX', `unknown CODE "${excerpt(code)}"`);
    return { op: 'ERR', code, message: single(fields, 'MSG') ?? '' };
  }
  if (!KNOWN_OPS.has(op)) throw new ProtocolError('UNKNOWN_OP', `unknown OP "${excerpt(op)}"`);
  switch (op as Op) {
    case 'GET':
    case 'PUT': {
      const indices = parseIndices(required(fields, op, 'IND'));
      const values = parseValues(required(fields, op, 'DATA'));
      countsMatch(indices, values);
      return { op: op as 'GET' | 'PUT', indices, values };
    }
    case 'CLR':
      return { op: 'CLR' };
    case 'ADD': {
      const indices = parseIndices(required(fields, op, 'IND'));
      const values = parseValues(required(fields, op, 'DATA'));
      if (values.length !== 1) {
        throw new ProtocolError(
          'COUNT_MISMATCH',
          `an ADD reply carries one sum, got ${values.length}`,
        );
      }
      return { op: 'ADD', indices, sum: values[0] };
    }
  }
}

/**
 * Whether `text` already is the whole reply to `request`: it parses as a reply (extra fields
 * skipped) and answers it (an error reply answers any request; without a request, any reply
 * does). A client reading replies that come without a line terminator takes one as soon as this
 * holds; anything else may be the front of a reply still coming.
 */
export function isCompleteReply(text: string, request?: Request): boolean {
  let reply: Reply;
  try {
    reply = parseReply(text);
  } catch (error) {
    if (error instanceof ProtocolError) return false;
    throw error;
  }
  return reply.op === 'ERR' || request === undefined || replyMismatch(request, reply) === undefined;
}
