import {
  ERROR_CODES,
  INT64_MAX,
  INT64_MIN,
  ProtocolError,
  assertIndicesWithin,
  errorReply,
  isCompleteReply,
  isCompleteRequest,
  parseReply,
  parseRequest,
  serializeReply,
  serializeRequest,
  sumInt64,
  type ErrorCode,
  type ParseOptions,
  type Reply,
  type Request,
} from './index';

/**
 * The protocol as one table of vectors. A vector parses `request` (with `options`) or `reply`,
 * and either gives `parsed` (then `canonical`, or the input itself when absent, is what
 * serializing it writes) or throws a ProtocolError with `code` (and `message`, where the words
 * are part of the contract).
 */
type Outcome<M> =
  | { readonly parsed: M; readonly canonical?: string }
  | { readonly code: ErrorCode; readonly message?: string };
type RequestVector = {
  readonly rule: string;
  readonly request: string;
  readonly options?: ParseOptions;
} & Outcome<Request>;
type ReplyVector = { readonly rule: string; readonly reply: string } & Outcome<Reply>;
type Vector = RequestVector | ReplyVector;

const MIN = '-9223372036854775808';
const MAX = '9223372036854775807';

const VECTORS: readonly Vector[] = [
  // --- requests, canonical ---
  { rule: 'GET one index', request: 'OP=GET;IND=1;', parsed: { op: 'GET', indices: [1] } },
  {
    rule: 'GET repeated indices answer each position',
    request: 'OP=GET;IND=2,1,2;',
    parsed: { op: 'GET', indices: [2, 1, 2] },
  },
  {
    rule: 'PUT indices and values matched by position',
    request: 'OP=PUT;IND=1,2;DATA=10,20;',
    parsed: { op: 'PUT', indices: [1, 2], values: [10n, 20n] },
  },
  {
    rule: 'PUT a negative value',
    request: 'OP=PUT;IND=0;DATA=-7;',
    parsed: { op: 'PUT', indices: [0], values: [-7n] },
  },
  { rule: 'CLR takes nothing', request: 'OP=CLR;', parsed: { op: 'CLR' } },
  { rule: 'ADD two indices', request: 'OP=ADD;IND=1,2;', parsed: { op: 'ADD', indices: [1, 2] } },
  {
    rule: 'ADD at most 5 indices: 5 is accepted',
    request: 'OP=ADD;IND=1,2,3,4,5;',
    parsed: { op: 'ADD', indices: [1, 2, 3, 4, 5] },
  },
  {
    rule: 'maxAddIndices raises the ADD limit',
    request: 'OP=ADD;IND=1,2,3,4,5,6;',
    options: { maxAddIndices: 6 },
    parsed: { op: 'ADD', indices: [1, 2, 3, 4, 5, 6] },
  },
  {
    rule: 'largest index 2^31-1',
    request: 'OP=GET;IND=0,2147483647;',
    parsed: { op: 'GET', indices: [0, 2147483647] },
  },
  {
    rule: 'int64 boundaries are accepted',
    request: `OP=PUT;IND=0,1;DATA=${MIN},${MAX};`,
    parsed: { op: 'PUT', indices: [0, 1], values: [INT64_MIN, INT64_MAX] },
  },

  // --- requests, lenient forms ---
  {
    rule: 'missing final ;',
    request: 'OP=GET;IND=1',
    parsed: { op: 'GET', indices: [1] },
    canonical: 'OP=GET;IND=1;',
  },
  {
    rule: 'missing final ; on CLR',
    request: 'OP=CLR',
    parsed: { op: 'CLR' },
    canonical: 'OP=CLR;',
  },
  {
    rule: 'spaces around every token',
    request: ' OP = PUT ; IND = 1 , 2 ; DATA = 10 , -20 ; ',
    parsed: { op: 'PUT', indices: [1, 2], values: [10n, -20n] },
    canonical: 'OP=PUT;IND=1,2;DATA=10,-20;',
  },
  {
    rule: 'tabs around tokens',
    request: '\tOP=GET;\tIND=\t3\t;',
    parsed: { op: 'GET', indices: [3] },
    canonical: 'OP=GET;IND=3;',
  },
  {
    rule: 'lower-case op',
    request: 'OP=get;IND=1;',
    parsed: { op: 'GET', indices: [1] },
    canonical: 'OP=GET;IND=1;',
  },
  {
    rule: 'lower-case keys and op',
    request: 'op=put;ind=1;data=5;',
    parsed: { op: 'PUT', indices: [1], values: [5n] },
    canonical: 'OP=PUT;IND=1;DATA=5;',
  },
  { rule: 'mixed-case op', request: 'Op=cLr;', parsed: { op: 'CLR' }, canonical: 'OP=CLR;' },
  {
    rule: 'fields in any order',
    request: 'DATA=5;IND=1;OP=PUT;',
    parsed: { op: 'PUT', indices: [1], values: [5n] },
    canonical: 'OP=PUT;IND=1;DATA=5;',
  },
  {
    rule: 'explicit + sign',
    request: 'OP=PUT;IND=1;DATA=+5;',
    parsed: { op: 'PUT', indices: [1], values: [5n] },
    canonical: 'OP=PUT;IND=1;DATA=5;',
  },
  {
    rule: '-0 is 0',
    request: 'OP=PUT;IND=1;DATA=-0;',
    parsed: { op: 'PUT', indices: [1], values: [0n] },
    canonical: 'OP=PUT;IND=1;DATA=0;',
  },
  {
    rule: 'leading zeros in values',
    request: 'OP=PUT;IND=1,2;DATA=007,-007;',
    parsed: { op: 'PUT', indices: [1, 2], values: [7n, -7n] },
    canonical: 'OP=PUT;IND=1,2;DATA=7,-7;',
  },
  {
    rule: 'explicit + sign on indices, as on values',
    request: 'OP=PUT;IND=+1,+2;DATA=+5,6;',
    parsed: { op: 'PUT', indices: [1, 2], values: [5n, 6n] },
    canonical: 'OP=PUT;IND=1,2;DATA=5,6;',
  },
  {
    rule: '+ sign and leading zeros on an index',
    request: 'OP=GET;IND=+007, +0 ,+0002147483647;',
    parsed: { op: 'GET', indices: [7, 0, 2147483647] },
    canonical: 'OP=GET;IND=7,0,2147483647;',
  },
  {
    rule: 'leading zeros in indices',
    request: 'OP=GET;IND=007,00;',
    parsed: { op: 'GET', indices: [7, 0] },
    canonical: 'OP=GET;IND=7,0;',
  },
  {
    rule: 'leading zeros in an index longer than 10 characters',
    request: 'OP=GET;IND=0000000000007,0002147483647;',
    parsed: { op: 'GET', indices: [7, 2147483647] },
    canonical: 'OP=GET;IND=7,2147483647;',
  },
  {
    rule: 'leading zeros on the int64 boundaries',
    request: `OP=PUT;IND=1,2;DATA=-000${MIN.slice(1)},+000${MAX};`,
    parsed: { op: 'PUT', indices: [1, 2], values: [INT64_MIN, INT64_MAX] },
    canonical: `OP=PUT;IND=1,2;DATA=${MIN},${MAX};`,
  },
  {
    rule: 'None placeholders for the fields CLR does not use',
    request: 'OP=CLR;IND=None;DATA=None;',
    parsed: { op: 'CLR' },
    canonical: 'OP=CLR;',
  },
  {
    rule: 'a None placeholder in any case, with spaces, without final ;',
    request: 'op=get; ind=1 ;data= nOnE ',
    parsed: { op: 'GET', indices: [1] },
    canonical: 'OP=GET;IND=1;',
  },
  {
    rule: 'DATA=none on GET',
    request: 'OP=GET;IND=1;DATA=none;',
    parsed: { op: 'GET', indices: [1] },
    canonical: 'OP=GET;IND=1;',
  },
  {
    rule: 'DATA=NONE on ADD',
    request: 'OP=ADD;IND=1,2;DATA=NONE;',
    parsed: { op: 'ADD', indices: [1, 2] },
    canonical: 'OP=ADD;IND=1,2;',
  },
  {
    rule: 'only spaces after the final ;',
    request: 'OP=CLR;   ',
    parsed: { op: 'CLR' },
    canonical: 'OP=CLR;',
  },

  // --- requests, rejected: BAD_SYNTAX ---
  { rule: 'empty message', request: '', code: 'BAD_SYNTAX' },
  { rule: 'blank message', request: '  \t ', code: 'BAD_SYNTAX' },
  { rule: 'a lone ;', request: ';', code: 'BAD_SYNTAX' },
  { rule: 'not KEY=VALUE', request: 'hello', code: 'BAD_SYNTAX' },
  { rule: 'a field without =', request: 'OP=GET;IND;', code: 'BAD_SYNTAX' },
  { rule: 'unknown key', request: 'OP=GET;IND=1;FOO=2;', code: 'BAD_SYNTAX' },
  { rule: 'empty key', request: 'OP=GET;=1;', code: 'BAD_SYNTAX' },
  { rule: 'a reply key in a request', request: 'OP=GET;IND=1;MSG=x;', code: 'BAD_SYNTAX' },
  { rule: 'repeated key', request: 'OP=GET;IND=1;IND=2;', code: 'BAD_SYNTAX' },
  { rule: 'repeated key in another case', request: 'OP=GET;op=GET;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'empty field between two ;', request: 'OP=GET;;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'empty item inside a list', request: 'OP=GET;IND=1,,2;', code: 'BAD_SYNTAX' },
  { rule: 'empty last item', request: 'OP=GET;IND=1,;', code: 'BAD_SYNTAX' },
  { rule: 'empty first item', request: 'OP=GET;IND=,1;', code: 'BAD_SYNTAX' },
  { rule: 'blank item in DATA', request: 'OP=PUT;IND=1,2;DATA=1, ,2;', code: 'BAD_SYNTAX' },
  { rule: 'empty IND list', request: 'OP=GET;IND=;', code: 'BAD_SYNTAX' },
  { rule: 'blank DATA list', request: 'OP=PUT;IND=1;DATA= ;', code: 'BAD_SYNTAX' },
  { rule: 'GET takes no DATA', request: 'OP=GET;IND=1;DATA=5;', code: 'BAD_SYNTAX' },
  {
    rule: 'only None itself is a placeholder',
    request: 'OP=GET;IND=1;DATA=Nonesuch;',
    code: 'BAD_SYNTAX',
    message: 'GET takes no DATA',
  },
  { rule: 'an empty unused field is not None', request: 'OP=CLR;IND=;', code: 'BAD_SYNTAX' },
  {
    rule: 'None for IND, which GET uses',
    request: 'OP=GET;IND=None;',
    code: 'BAD_SYNTAX',
    message: 'GET needs IND, got None',
  },
  {
    rule: 'None for DATA, which PUT uses',
    request: 'OP=PUT;IND=1;DATA=none;',
    code: 'BAD_SYNTAX',
    message: 'PUT needs DATA, got None',
  },
  {
    rule: 'None for IND, which ADD uses',
    request: 'OP=ADD;IND=NONE;DATA=None;',
    code: 'BAD_SYNTAX',
    message: 'ADD needs IND, got None',
  },
  { rule: 'a repeated None placeholder', request: 'OP=CLR;IND=None;IND=None;', code: 'BAD_SYNTAX' },
  { rule: 'an unknown key set to None', request: 'OP=CLR;FOO=None;', code: 'BAD_SYNTAX' },
  { rule: 'a reply key set to None', request: 'OP=GET;IND=1;CODE=None;', code: 'BAD_SYNTAX' },
  { rule: 'CLR takes no IND', request: 'OP=CLR;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'CLR takes no DATA', request: 'OP=CLR;DATA=1;', code: 'BAD_SYNTAX' },
  { rule: 'ADD takes no DATA', request: 'OP=ADD;IND=1;DATA=2;', code: 'BAD_SYNTAX' },
  { rule: 'OP missing', request: 'IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'GET needs IND', request: 'OP=GET;', code: 'BAD_SYNTAX' },
  { rule: 'PUT needs DATA', request: 'OP=PUT;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'PUT needs IND', request: 'OP=PUT;DATA=1;', code: 'BAD_SYNTAX' },
  { rule: 'ADD needs IND', request: 'OP=ADD;', code: 'BAD_SYNTAX' },
  { rule: 'NUL byte', request: 'OP=GET;IND=1\0;', code: 'BAD_SYNTAX' },
  { rule: 'DEL byte', request: 'OP=GET;IND=1\x7f;', code: 'BAD_SYNTAX' },
  {
    rule: 'no-break space, which trim() would eat',
    request: 'OP=GET;IND=1\xa0;',
    code: 'BAD_SYNTAX',
  },
  { rule: 'byte order mark', request: '\ufeffOP=CLR;', code: 'BAD_SYNTAX' },
  { rule: 'line feed inside', request: 'OP=GET;\nIND=1;', code: 'BAD_SYNTAX' },
  { rule: 'trailing carriage return', request: 'OP=GET;IND=1;\r', code: 'BAD_SYNTAX' },
  { rule: 'latin1 byte 0xff', request: 'OP=GET;IND=\xff;', code: 'BAD_SYNTAX' },
  { rule: 'non-ASCII letter', request: 'OP=GÉT;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'line separator U+2028', request: 'OP=GET;\u2028IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'astral character', request: 'OP=GET;IND=1;\u{1f600}', code: 'BAD_SYNTAX' },

  // --- requests, rejected: the other codes ---
  { rule: 'unknown op', request: 'OP=DEL;IND=1;', code: 'UNKNOWN_OP' },
  { rule: 'empty op', request: 'OP=;', code: 'UNKNOWN_OP' },
  { rule: 'ERR is not a request', request: 'OP=ERR;', code: 'UNKNOWN_OP' },
  { rule: 'negative index', request: 'OP=GET;IND=-1;', code: 'BAD_INDEX' },
  { rule: 'negative zero index', request: 'OP=GET;IND=-0;', code: 'BAD_INDEX' },
  { rule: 'double + on an index', request: 'OP=GET;IND=++1;', code: 'BAD_INDEX' },
  { rule: '+ alone as an index', request: 'OP=GET;IND=+;', code: 'BAD_INDEX' },
  { rule: 'space after + on an index', request: 'OP=GET;IND=+ 1;', code: 'BAD_INDEX' },
  { rule: 'index +2^31 is too large', request: 'OP=GET;IND=+2147483648;', code: 'BAD_INDEX' },
  { rule: 'fractional index', request: 'OP=GET;IND=1.5;', code: 'BAD_INDEX' },
  { rule: 'non-numeric index', request: 'OP=GET;IND=abc;', code: 'BAD_INDEX' },
  { rule: 'None as one index of a list', request: 'OP=GET;IND=1,None;', code: 'BAD_INDEX' },
  { rule: 'None as one value of a list', request: 'OP=PUT;IND=1,2;DATA=1,None;', code: 'BAD_DATA' },
  { rule: 'None as the OP', request: 'OP=None;', code: 'UNKNOWN_OP' },
  { rule: 'exponent index', request: 'OP=GET;IND=1e3;', code: 'BAD_INDEX' },
  { rule: 'hex index', request: 'OP=GET;IND=0x1;', code: 'BAD_INDEX' },
  { rule: 'space inside an index', request: 'OP=GET;IND=1 2;', code: 'BAD_INDEX' },
  { rule: 'index 2^31 is too large', request: 'OP=GET;IND=2147483648;', code: 'BAD_INDEX' },
  { rule: 'index of 10 digits too large', request: 'OP=GET;IND=9999999999;', code: 'BAD_INDEX' },
  { rule: 'huge index', request: `OP=GET;IND=${'9'.repeat(400)};`, code: 'BAD_INDEX' },
  { rule: 'fractional value', request: 'OP=PUT;IND=1;DATA=1.5;', code: 'BAD_DATA' },
  { rule: 'non-numeric value', request: 'OP=PUT;IND=1;DATA=abc;', code: 'BAD_DATA' },
  { rule: 'exponent value', request: 'OP=PUT;IND=1;DATA=1e3;', code: 'BAD_DATA' },
  { rule: 'hex value', request: 'OP=PUT;IND=1;DATA=0x10;', code: 'BAD_DATA' },
  { rule: 'double sign', request: 'OP=PUT;IND=1;DATA=--1;', code: 'BAD_DATA' },
  { rule: 'sign alone', request: 'OP=PUT;IND=1;DATA=-;', code: 'BAD_DATA' },
  { rule: 'space after sign', request: 'OP=PUT;IND=1;DATA=- 1;', code: 'BAD_DATA' },
  { rule: 'trailing sign', request: 'OP=PUT;IND=1;DATA=5-;', code: 'BAD_DATA' },
  { rule: 'int64 max + 1', request: 'OP=PUT;IND=1;DATA=9223372036854775808;', code: 'OVERFLOW' },
  { rule: 'int64 min - 1', request: 'OP=PUT;IND=1;DATA=-9223372036854775809;', code: 'OVERFLOW' },
  {
    rule: 'int64 max + 1 with leading zeros',
    request: 'OP=PUT;IND=1;DATA=+0009223372036854775808;',
    code: 'OVERFLOW',
  },
  {
    rule: 'a 20-digit value',
    request: 'OP=PUT;IND=1;DATA=10000000000000000000;',
    code: 'OVERFLOW',
  },
  { rule: 'huge value', request: `OP=PUT;IND=1;DATA=-${'9'.repeat(5000)};`, code: 'OVERFLOW' },
  { rule: 'fewer values than indices', request: 'OP=PUT;IND=1,2;DATA=10;', code: 'COUNT_MISMATCH' },
  { rule: 'more values than indices', request: 'OP=PUT;IND=1;DATA=10,20;', code: 'COUNT_MISMATCH' },
  { rule: 'ADD with 6 indices', request: 'OP=ADD;IND=1,2,3,4,5,6;', code: 'TOO_MANY' },
  {
    rule: 'maxAddIndices lowers the ADD limit',
    request: 'OP=ADD;IND=1,2,3;',
    options: { maxAddIndices: 2 },
    code: 'TOO_MANY',
  },

  // --- replies, canonical ---
  {
    rule: 'GET reply echoes IND with the values',
    reply: 'OP=GET;IND=2,1,2;DATA=20,10,20;',
    parsed: { op: 'GET', indices: [2, 1, 2], values: [20n, 10n, 20n] },
  },
  {
    rule: 'PUT reply as stored',
    reply: 'OP=PUT;IND=1,2;DATA=10,20;',
    parsed: { op: 'PUT', indices: [1, 2], values: [10n, 20n] },
  },
  { rule: 'CLR reply', reply: 'OP=CLR;', parsed: { op: 'CLR' } },
  {
    rule: 'ADD reply carries one sum',
    reply: 'OP=ADD;IND=1,2;DATA=30;',
    parsed: { op: 'ADD', indices: [1, 2], sum: 30n },
  },
  {
    rule: 'ADD reply with the int64 min sum',
    reply: `OP=ADD;IND=1,2;DATA=${MIN};`,
    parsed: { op: 'ADD', indices: [1, 2], sum: INT64_MIN },
  },
  {
    rule: 'GET reply with the int64 max value',
    reply: `OP=GET;IND=9;DATA=${MAX};`,
    parsed: { op: 'GET', indices: [9], values: [INT64_MAX] },
  },
  {
    rule: 'ERR reply with CODE and MSG',
    reply: 'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;',
    parsed: { op: 'ERR', code: 'BAD_INDEX', message: 'index 12 is outside 0..9' },
  },
  {
    rule: 'ERR reply without MSG',
    reply: 'OP=ERR;CODE=BUSY;',
    parsed: { op: 'ERR', code: 'BUSY', message: '' },
  },
  {
    rule: 'ERR MSG may contain =',
    reply: 'OP=ERR;CODE=INTERNAL;MSG=a=b;',
    parsed: { op: 'ERR', code: 'INTERNAL', message: 'a=b' },
  },

  // --- replies, lenient forms ---
  {
    rule: 'reply in lower case, with spaces, without final ;',
    reply: ' op = get ; ind = 1 , 2 ; data = +1 , -02 ',
    parsed: { op: 'GET', indices: [1, 2], values: [1n, -2n] },
    canonical: 'OP=GET;IND=1,2;DATA=1,-2;',
  },
  {
    rule: 'reply with + signs on indices and values',
    reply: 'OP=ADD;IND=+1,+02;DATA=+3;',
    parsed: { op: 'ADD', indices: [1, 2], sum: 3n },
    canonical: 'OP=ADD;IND=1,2;DATA=3;',
  },
  {
    rule: 'ERR fields in any order, MSG trimmed',
    reply: 'MSG=  upstream is down  ;code=UPSTREAM_UNAVAILABLE;op=err',
    parsed: { op: 'ERR', code: 'UPSTREAM_UNAVAILABLE', message: 'upstream is down' },
    canonical: 'OP=ERR;CODE=UPSTREAM_UNAVAILABLE;MSG=upstream is down;',
  },
  {
    rule: 'reply with an extra field our clients do not read (CODE=200)',
    reply: 'OP=GET;IND=1;DATA=5;CODE=200;',
    parsed: { op: 'GET', indices: [1], values: [5n] },
    canonical: 'OP=GET;IND=1;DATA=5;',
  },
  {
    rule: 'reply with None placeholders, without final ;',
    reply: 'OP=CLR;IND=None;DATA=None',
    parsed: { op: 'CLR' },
    canonical: 'OP=CLR;',
  },
  {
    rule: 'reply with unknown fields, repeated, in any case, anywhere',
    reply: 'status=ok;OP=PUT;IND=1;X=1;DATA=2;x=;MSG=stored;MSG=again;Time = 12 ms',
    parsed: { op: 'PUT', indices: [1], values: [2n] },
    canonical: 'OP=PUT;IND=1;DATA=2;',
  },
  {
    rule: 'ADD reply with values in fields it does not use',
    reply: 'OP=ADD;IND=1,2;DATA=3;CODE=BUSY;MSG=fine;',
    parsed: { op: 'ADD', indices: [1, 2], sum: 3n },
    canonical: 'OP=ADD;IND=1,2;DATA=3;',
  },
  {
    rule: 'CLR reply with an index it does not use',
    reply: 'OP=CLR;IND=1;',
    parsed: { op: 'CLR' },
    canonical: 'OP=CLR;',
  },
  {
    rule: 'ERR reply with placeholders and an extra field',
    reply: 'OP=ERR;CODE=BAD_INDEX;MSG=no such index;IND=none;DATA=NONE;STATUS=404;',
    parsed: { op: 'ERR', code: 'BAD_INDEX', message: 'no such index' },
    canonical: 'OP=ERR;CODE=BAD_INDEX;MSG=no such index;',
  },
  {
    rule: 'ERR with an empty MSG',
    reply: 'OP=ERR;CODE=TOO_LONG;MSG=;',
    parsed: { op: 'ERR', code: 'TOO_LONG', message: '' },
    canonical: 'OP=ERR;CODE=TOO_LONG;',
  },

  // --- replies, rejected ---
  { rule: 'empty reply', reply: '', code: 'BAD_SYNTAX' },
  { rule: 'reply OP missing', reply: 'CODE=BUSY;', code: 'BAD_SYNTAX' },
  {
    rule: 'repeated CODE in an ERR reply',
    reply: 'OP=ERR;CODE=BUSY;CODE=BUSY;',
    code: 'BAD_SYNTAX',
  },
  {
    rule: 'repeated MSG in an ERR reply',
    reply: 'OP=ERR;CODE=BUSY;MSG=a;MSG=b;',
    code: 'BAD_SYNTAX',
  },
  { rule: 'repeated OP in a reply', reply: 'OP=CLR;op=CLR;', code: 'BAD_SYNTAX' },
  {
    rule: 'repeated DATA in a GET reply',
    reply: 'OP=GET;IND=1;DATA=1;DATA=1;',
    code: 'BAD_SYNTAX',
  },
  {
    rule: 'None for DATA, which a GET reply uses',
    reply: 'OP=GET;IND=1;DATA=None;',
    code: 'BAD_SYNTAX',
    message: 'GET needs DATA, got None',
  },
  { rule: 'None for CODE, which ERR uses', reply: 'OP=ERR;CODE=None;', code: 'BAD_SYNTAX' },
  { rule: 'a reply field without =', reply: 'OP=GET;IND=1;DATA=2;status;', code: 'BAD_SYNTAX' },
  { rule: 'a reply field without a key', reply: 'OP=GET;IND=1;DATA=2;=5;', code: 'BAD_SYNTAX' },
  { rule: 'an empty field in a reply', reply: 'OP=CLR;;X=1;', code: 'BAD_SYNTAX' },
  { rule: 'ERR needs CODE', reply: 'OP=ERR;MSG=x;', code: 'BAD_SYNTAX' },
  { rule: 'unknown CODE', reply: 'OP=ERR;CODE=NOPE;', code: 'BAD_SYNTAX' },
  { rule: 'CODE is case-sensitive', reply: 'OP=ERR;CODE=bad_index;', code: 'BAD_SYNTAX' },
  { rule: 'GET reply needs DATA', reply: 'OP=GET;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'ADD reply needs DATA', reply: 'OP=ADD;IND=1;', code: 'BAD_SYNTAX' },
  { rule: 'empty item in a reply', reply: 'OP=GET;IND=1,2;DATA=1,;', code: 'BAD_SYNTAX' },
  { rule: 'control byte in MSG', reply: 'OP=ERR;CODE=INTERNAL;MSG=a\x07b;', code: 'BAD_SYNTAX' },
  { rule: 'DEL byte in MSG', reply: 'OP=ERR;CODE=INTERNAL;MSG=a\x7f;', code: 'BAD_SYNTAX' },
  { rule: 'non-ASCII MSG', reply: 'OP=ERR;CODE=INTERNAL;MSG=d\xe9j\xe0 vu;', code: 'BAD_SYNTAX' },
  { rule: 'unknown reply op', reply: 'OP=FOO;', code: 'UNKNOWN_OP' },
  { rule: 'bad index in a reply', reply: 'OP=GET;IND=-1;DATA=1;', code: 'BAD_INDEX' },
  { rule: 'bad value in a reply', reply: 'OP=GET;IND=1;DATA=x;', code: 'BAD_DATA' },
  {
    rule: 'reply value beyond int64',
    reply: 'OP=GET;IND=1;DATA=9223372036854775808;',
    code: 'OVERFLOW',
  },
  {
    rule: 'ADD reply sum beyond int64',
    reply: 'OP=ADD;IND=1;DATA=-9223372036854775809;',
    code: 'OVERFLOW',
  },
  { rule: 'GET reply counts differ', reply: 'OP=GET;IND=1,2;DATA=1;', code: 'COUNT_MISMATCH' },
  { rule: 'ADD reply with two sums', reply: 'OP=ADD;IND=1,2;DATA=1,2;', code: 'COUNT_MISMATCH' },
];

interface Codec<M> {
  parse(text: string): M;
  serialize(message: M): string;
}

function requestCodec(options?: ParseOptions): Codec<Request> {
  return { parse: (text) => parseRequest(text, options), serialize: serializeRequest };
}
const replyCodec: Codec<Reply> = { parse: parseReply, serialize: serializeReply };

function inputOf(vector: Vector): string {
  return 'request' in vector ? vector.request : vector.reply;
}

function title(vector: Vector): string {
  const shown = JSON.stringify(inputOf(vector));
  const input = shown.length > 60 ? `${shown.slice(0, 57)}..."` : shown;
  return `${'request' in vector ? 'request' : 'reply'} ${input} (${vector.rule})`;
}

/** Calls `fn`, which must throw; asserts the error is a ProtocolError and returns it. */
function protocolErrorFrom(fn: () => unknown): ProtocolError {
  let thrown: unknown = undefined;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  return thrown as ProtocolError;
}

/** MSG is one printable line and never contains `;`. */
const ONE_LINE_WITHOUT_SEMICOLON = /^[\x20-\x3a\x3c-\x7e]+$/;

function expectAccepted<M>(codec: Codec<M>, input: string, parsed: M, canonical: string): void {
  expect(codec.parse(input)).toStrictEqual(parsed);
  expect(codec.serialize(codec.parse(input))).toBe(canonical);
  expect(codec.parse(canonical)).toStrictEqual(parsed);
  expect(codec.parse(codec.serialize(parsed))).toStrictEqual(parsed);
}

function expectRejected<M>(
  codec: Codec<M>,
  input: string,
  code: ErrorCode,
  message: string | undefined,
): void {
  const error = protocolErrorFrom(() => codec.parse(input));
  expect(error.code).toBe(code);
  expect(error.message).toMatch(ONE_LINE_WITHOUT_SEMICOLON);
  if (message !== undefined) expect(error.message).toBe(message);
}

describe('protocol vectors', () => {
  it.each(VECTORS.map((vector) => [title(vector), vector] as const))('%s', (_, vector) => {
    if ('request' in vector) {
      const codec = requestCodec(vector.options);
      // What parses is a complete request: taken at the short pause when it comes unterminated.
      expect(isCompleteRequest(vector.request, vector.options)).toBe(!('code' in vector));
      if ('code' in vector) expectRejected(codec, vector.request, vector.code, vector.message);
      else expectAccepted(codec, vector.request, vector.parsed, vector.canonical ?? vector.request);
    } else {
      // What parses is a complete reply: taken at once when it comes unterminated.
      expect(isCompleteReply(vector.reply)).toBe(!('code' in vector));
      if ('code' in vector) expectRejected(replyCodec, vector.reply, vector.code, vector.message);
      else
        expectAccepted(replyCodec, vector.reply, vector.parsed, vector.canonical ?? vector.reply);
    }
  });

  it('covers every parser error code and every operation both ways', () => {
    const codes = new Set(VECTORS.flatMap((vector) => ('code' in vector ? [vector.code] : [])));
    expect([...codes].sort()).toEqual([
      'BAD_DATA',
      'BAD_INDEX',
      'BAD_SYNTAX',
      'COUNT_MISMATCH',
      'OVERFLOW',
      'TOO_MANY',
      'UNKNOWN_OP',
    ]);
    const ops = (side: 'request' | 'reply'): string[] =>
      [
        ...new Set(
          VECTORS.flatMap((vector) =>
            side in vector && 'parsed' in vector ? [vector.parsed.op] : [],
          ),
        ),
      ].sort();
    expect(ops('request')).toEqual(['ADD', 'CLR', 'GET', 'PUT']);
    expect(ops('reply')).toEqual(['ADD', 'CLR', 'ERR', 'GET', 'PUT']);
  });
});

describe('isCompleteReply: a reply read without a line terminator', () => {
  const get12: Request = { op: 'GET', indices: [1, 2] };
  const put: Request = { op: 'PUT', indices: [3], values: [-5n] };
  it.each<[string, string, Request, boolean]>([
    ['the whole reply', 'OP=GET;IND=1,2;DATA=5,6;', get12, true],
    ['without its final ;', 'OP=GET;IND=1,2;DATA=5,6', get12, true],
    ['with an extra field', 'OP=GET;IND=1,2;DATA=5,6;CODE=200;', get12, true],
    ['an error reply, to any request', 'OP=ERR;CODE=BAD_INDEX;MSG=no;', put, true],
    ['a PUT echoed in another order', 'OP=PUT;DATA=-5;IND=3;', put, true],
    ['the front of a reply', 'OP=GET;IND=1,2;', get12, false],
    ['a front cut inside a field', 'OP=GET;IND=1,2;DA', get12, false],
    ['fewer values than indices', 'OP=GET;IND=1,2;DATA=5;', get12, false],
    ['the reply to other indices', 'OP=GET;IND=1;DATA=5;', get12, false],
    ['the reply to another OP', 'OP=CLR;', get12, false],
    ['a PUT reply with other values', 'OP=PUT;IND=3;DATA=5;', put, false],
  ])('%s: %s', (_, text, request, complete) => {
    expect(isCompleteReply(text, request)).toBe(complete);
  });

  it('without a request, any reply that parses is complete', () => {
    expect(isCompleteReply('OP=CLR;')).toBe(true);
    expect(isCompleteReply('OP=GET;IND=1;')).toBe(false);
  });
});

/** Pairs each request with its wire form, for test titles (`%j` cannot show a bigint). */
function withWireTitles(requests: readonly Request[]): (readonly [string, Request])[] {
  return requests.map((request) => [serializeRequest(request), request] as const);
}

describe('assertIndicesWithin', () => {
  it('rejects the first index outside the table with BAD_INDEX', () => {
    const error = protocolErrorFrom(() =>
      assertIndicesWithin({ op: 'GET', indices: [3, 12, 15] }, 10),
    );
    expect(error.code).toBe('BAD_INDEX');
    expect(error.message).toBe('index 12 is outside 0..9');
    expect(serializeReply(errorReply(error))).toBe(
      'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;',
    );
  });

  it.each(
    withWireTitles([
      { op: 'PUT', indices: [0, 10], values: [1n, 2n] },
      { op: 'ADD', indices: [10] },
      { op: 'GET', indices: [2147483647] },
    ]),
  )('rejects an index equal to or above the size: %s', (_, request) => {
    expect(protocolErrorFrom(() => assertIndicesWithin(request, 10)).code).toBe('BAD_INDEX');
  });

  it.each(
    withWireTitles([
      { op: 'GET', indices: [0, 9, 9] },
      { op: 'PUT', indices: [9], values: [1n] },
      { op: 'ADD', indices: [0, 1, 2, 3, 9] },
      { op: 'CLR' },
    ]),
  )('accepts indices within 0..size-1: %s', (_, request) => {
    expect(() => assertIndicesWithin(request, 10)).not.toThrow();
  });

  it('accepts CLR even for an empty table', () => {
    expect(() => assertIndicesWithin({ op: 'CLR' }, 0)).not.toThrow();
  });
});

describe('sumInt64', () => {
  it.each<[string, bigint[], bigint]>([
    ['no values', [], 0n],
    ['max and min', [INT64_MAX, INT64_MIN], -1n],
    ['exactly max', [INT64_MAX - 5n, 2n, 3n], INT64_MAX],
    ['exactly min', [INT64_MIN + 1n, -1n], INT64_MIN],
    ['a partial sum beyond max that comes back', [INT64_MAX, 1n, -1n], INT64_MAX],
  ])('sums %s', (_, values, sum) => {
    expect(sumInt64(values)).toBe(sum);
  });

  it.each<[string, bigint[]]>([
    ['max + 1', [INT64_MAX, 1n]],
    ['min - 1', [INT64_MIN, -1n]],
    ['five times max', Array.from({ length: 5 }, () => INT64_MAX)],
    ['five times min', Array.from({ length: 5 }, () => INT64_MIN)],
  ])('throws OVERFLOW for %s, never wraps around', (_, values) => {
    const error = protocolErrorFrom(() => sumInt64(values));
    expect(error.code).toBe('OVERFLOW');
    expect(error.message).toMatch(ONE_LINE_WITHOUT_SEMICOLON);
  });
});

describe('ProtocolError', () => {
  it.each([
    'unknown OP "a;b"',
    'line one\nline two',
    'carriage\r\nreturn;',
    'tab\there',
    'separator\u2028and\u2029paragraph',
    'latin1 \xe9 and \u{1f600}',
    ';;;\n',
  ])('keeps the message one printable line without ; for %j', (text) => {
    const error = new ProtocolError('BAD_SYNTAX', text);
    expect(error.message).toMatch(ONE_LINE_WITHOUT_SEMICOLON);
    const wire = serializeReply(errorReply(error));
    expect(wire.match(/;/g)).toHaveLength(3);
    expect(parseReply(wire)).toStrictEqual({
      op: 'ERR',
      code: 'BAD_SYNTAX',
      message: error.message,
    });
  });

  it('is an Error with a stable name and code', () => {
    const error = new ProtocolError('TOO_MANY', 'too many');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ProtocolError');
    expect(ERROR_CODES).toContain(error.code);
  });
});
