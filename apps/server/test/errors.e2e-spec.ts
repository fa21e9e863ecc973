// Every class of bad input gets an error reply with the right CODE,
// and the connection stays usable: the next good request on the SAME connection is served.
import type { ProtocolConnection } from '@semicache/client';
import { tableValues } from '../../../test/support/admin';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { type RunningApp, startApp, stopAll } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { STORES, storeFlags } from '../../../test/support/stores';
import { removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';
const MAX_MESSAGE_LENGTH = 128;

/** An error reply: canonical, and MSG one line without ';'. */
function errorLine(code: string): RegExp {
  return new RegExp(`^OP=ERR;CODE=${code};MSG=[^;\\r\\n]+;$`);
}

/** A valid GET of index 1 exactly `length` bytes long (leading zeros are allowed in indices). */
function getOfLength(length: number): string {
  const message = `OP=GET;IND=${'0'.repeat(length - 13)}1;`;
  if (message.length !== length) throw new Error(`built ${message.length} bytes, not ${length}`);
  return message;
}

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

// The same error tests against each store.
describe.each(STORES)('%s store', (store) => {
  let server: RunningApp;
  const GOOD = 'OP=GET;IND=1;';
  const GOOD_REPLY = 'OP=GET;IND=1;DATA=11;';

  beforeAll(async () => {
    // A long bare-message pause, so that a line written in several pieces is never cut by it
    // even on a loaded machine.
    server = await startApp('server', [
      ...(await storeFlags(store)),
      '--max-message-length',
      String(MAX_MESSAGE_LENGTH),
      '--bare-message-delay-ms',
      '300',
    ]);
  });
  beforeEach(async () => {
    const client = await connectTo(server.protocol);
    expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
    expect(await client.send('OP=PUT;IND=1;DATA=11;')).toBe('OP=PUT;IND=1;DATA=11;');
    client.close();
  });
  afterEach(() => {
    closeAllConnections();
    closeAllRawClients();
  });

  interface Case {
    readonly name: string;
    readonly send: string | Buffer;
    readonly code: string;
    /** The exact MSG where it is part of the contract, else a pattern it must match. */
    readonly msg?: string | RegExp;
  }

  const CASES: readonly Case[] = [
    // BAD_SYNTAX
    {
      name: 'a field that is not KEY=VALUE',
      send: 'hello',
      code: 'BAD_SYNTAX',
      msg: /not KEY=VALUE/,
    },
    {
      name: 'a field without "=" after a good one',
      send: 'OP=GET;IND=1;junk;',
      code: 'BAD_SYNTAX',
      msg: /not KEY=VALUE/,
    },
    { name: 'an unknown key', send: 'OP=GET;IND=1;FOO=2;', code: 'BAD_SYNTAX', msg: /unknown key/ },
    { name: 'an empty key', send: 'OP=GET;=1;', code: 'BAD_SYNTAX' },
    {
      name: 'a repeated key',
      send: 'OP=GET;IND=1;IND=2;',
      code: 'BAD_SYNTAX',
      msg: /repeated key IND/,
    },
    {
      name: 'a repeated key in other case',
      send: 'OP=GET;IND=1;ind=2;',
      code: 'BAD_SYNTAX',
      msg: /repeated key IND/,
    },
    {
      name: 'a repeated OP',
      send: 'OP=GET;OP=PUT;IND=1;',
      code: 'BAD_SYNTAX',
      msg: /repeated key OP/,
    },
    {
      name: 'an empty item in the middle of IND',
      send: 'OP=GET;IND=1,,2;',
      code: 'BAD_SYNTAX',
      msg: /empty item/,
    },
    {
      name: 'an empty item at the end of IND',
      send: 'OP=GET;IND=1,;',
      code: 'BAD_SYNTAX',
      msg: /empty item/,
    },
    {
      name: 'an empty item at the start of DATA',
      send: 'OP=PUT;IND=1,2;DATA=,5;',
      code: 'BAD_SYNTAX',
      msg: /empty item/,
    },
    { name: 'an empty IND', send: 'OP=GET;IND=;', code: 'BAD_SYNTAX' },
    { name: 'an empty field between two semicolons', send: 'OP=GET;;IND=1;', code: 'BAD_SYNTAX' },
    { name: 'a missing OP', send: 'IND=1;', code: 'BAD_SYNTAX', msg: /missing OP/ },
    { name: 'a GET without IND', send: 'OP=GET;', code: 'BAD_SYNTAX' },
    { name: 'a PUT without DATA', send: 'OP=PUT;IND=1;', code: 'BAD_SYNTAX' },
    { name: 'a GET with DATA', send: 'OP=GET;IND=1;DATA=5;', code: 'BAD_SYNTAX' },
    { name: 'a CLR with IND', send: 'OP=CLR;IND=1;', code: 'BAD_SYNTAX' },
    { name: 'a NUL byte', send: 'OP=GET;IND=1\u0000;', code: 'BAD_SYNTAX' },
    { name: 'a control byte', send: 'OP=GET;\u0007IND=1;', code: 'BAD_SYNTAX' },
    { name: 'a lone CR inside the message', send: 'OP=GET;\rIND=1;', code: 'BAD_SYNTAX' },
    { name: 'non-ASCII text (valid UTF-8)', send: 'OP=GET;IND=1;MSG=é;', code: 'BAD_SYNTAX' },
    { name: 'non-ASCII in a value', send: 'OP=PUT;IND=1;DATA=５;', code: 'BAD_SYNTAX' },
    {
      name: 'invalid UTF-8 bytes',
      send: Buffer.concat([
        Buffer.from('OP=GET;IND=1'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from(';'),
      ]),
      code: 'BAD_SYNTAX',
    },
    // UNKNOWN_OP
    { name: 'an unknown OP', send: 'OP=DEL;IND=1;', code: 'UNKNOWN_OP', msg: /DEL/ },
    { name: 'a reply OP as a request', send: 'OP=ERR;', code: 'UNKNOWN_OP' },
    // BAD_INDEX
    {
      name: 'index 12 on a table of 10',
      send: 'OP=GET;IND=12;',
      code: 'BAD_INDEX',
      msg: 'index 12 is outside 0..9',
    },
    {
      name: 'index 10 (one past the end)',
      send: 'OP=GET;IND=0,10;',
      code: 'BAD_INDEX',
      msg: 'index 10 is outside 0..9',
    },
    { name: 'a negative index', send: 'OP=GET;IND=-1;', code: 'BAD_INDEX' },
    { name: 'a non-integer index', send: 'OP=GET;IND=1.5;', code: 'BAD_INDEX' },
    { name: 'a word as index', send: 'OP=GET;IND=abc;', code: 'BAD_INDEX' },
    { name: 'a huge index', send: 'OP=GET;IND=99999999999999999999999;', code: 'BAD_INDEX' },
    {
      name: 'a bad index in an ADD',
      send: 'OP=ADD;IND=1,12;',
      code: 'BAD_INDEX',
      msg: 'index 12 is outside 0..9',
    },
    {
      name: 'a bad index in a PUT',
      send: 'OP=PUT;IND=12;DATA=5;',
      code: 'BAD_INDEX',
      msg: 'index 12 is outside 0..9',
    },
    // BAD_DATA
    { name: 'a word as value', send: 'OP=PUT;IND=1;DATA=abc;', code: 'BAD_DATA' },
    { name: 'a decimal value', send: 'OP=PUT;IND=1;DATA=1.5;', code: 'BAD_DATA' },
    { name: 'an exponent value', send: 'OP=PUT;IND=1;DATA=1e3;', code: 'BAD_DATA' },
    { name: 'a hexadecimal value', send: 'OP=PUT;IND=1;DATA=0x10;', code: 'BAD_DATA' },
    { name: 'a double sign', send: 'OP=PUT;IND=1;DATA=--1;', code: 'BAD_DATA' },
    { name: 'a space inside a value', send: 'OP=PUT;IND=1;DATA=1 2;', code: 'BAD_DATA' },
    // COUNT_MISMATCH
    { name: 'fewer values than indices', send: 'OP=PUT;IND=1,2;DATA=5;', code: 'COUNT_MISMATCH' },
    { name: 'more values than indices', send: 'OP=PUT;IND=1;DATA=5,6;', code: 'COUNT_MISMATCH' },
    // TOO_MANY
    { name: 'an ADD of 6 indices', send: 'OP=ADD;IND=0,1,2,3,4,5;', code: 'TOO_MANY', msg: /5/ },
    // OVERFLOW
    { name: 'a value of 2^63', send: `OP=PUT;IND=1;DATA=9223372036854775808;`, code: 'OVERFLOW' },
    {
      name: 'a value of -2^63-1',
      send: `OP=PUT;IND=1;DATA=-9223372036854775809;`,
      code: 'OVERFLOW',
    },
    {
      name: 'a value of 30 digits',
      send: `OP=PUT;IND=1;DATA=${'9'.repeat(30)};`,
      code: 'OVERFLOW',
    },
    // TOO_LONG
    {
      name: `a message of ${MAX_MESSAGE_LENGTH + 1} bytes`,
      send: getOfLength(MAX_MESSAGE_LENGTH + 1),
      code: 'TOO_LONG',
      msg: /128/,
    },
    {
      name: 'a message of 1,000 bytes',
      send: `OP=GET;IND=${'1,'.repeat(499)}1;`,
      code: 'TOO_LONG',
      msg: /128/,
    },
  ];

  describe('each bad input gets its error, then the same connection serves a good request', () => {
    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const raw = await RawClient.open(server.protocol);
      const reply = await raw.request(c.send);
      expect(reply).toMatch(errorLine(c.code));
      if (typeof c.msg === 'string') expect(reply).toBe(`OP=ERR;CODE=${c.code};MSG=${c.msg};`);
      else if (c.msg) expect(reply.slice(reply.indexOf(';MSG=') + 5)).toMatch(c.msg);
      expect(await raw.request(GOOD)).toBe(GOOD_REPLY);
      expect(raw.closed).toBe(false);
    });

    it('answers every bad input in one pipelined burst, in order, interleaved with good requests on one connection', async () => {
      const raw = await RawClient.open(server.protocol);
      const parts: Buffer[] = [];
      for (const c of CASES) {
        parts.push(Buffer.from(c.send), Buffer.from('\n'), Buffer.from(GOOD + '\n'));
      }
      raw.write(Buffer.concat(parts));
      const replies = await raw.readLines(CASES.length * 2);
      CASES.forEach((c, n) => {
        expect([c.name, replies[2 * n]]).toEqual([
          c.name,
          expect.stringMatching(errorLine(c.code)),
        ]);
        expect(replies[2 * n + 1]).toBe(GOOD_REPLY);
      });
    });
  });

  describe('TOO_LONG (server started with --max-message-length 128)', () => {
    it('accepts a message of exactly the limit, with LF, with CRLF and bare', async () => {
      const raw = await RawClient.open(server.protocol);
      const message = getOfLength(MAX_MESSAGE_LENGTH);
      expect(await raw.request(message)).toBe(GOOD_REPLY);
      raw.write(message + '\r\n');
      expect(await raw.readLine()).toBe(GOOD_REPLY);
      raw.write(message);
      expect(await raw.readLine()).toBe(GOOD_REPLY);
    });

    it('answers a long line arriving in many pieces with exactly one TOO_LONG, then serves the next line', async () => {
      const raw = await RawClient.open(server.protocol);
      raw.write('OP=PUT;IND=1;DATA=');
      for (let n = 0; n < 50; n++) raw.write('1'.repeat(1000));
      raw.write(';\n' + GOOD + '\n');
      expect(await raw.readLines(2)).toEqual([
        `OP=ERR;CODE=TOO_LONG;MSG=message is longer than ${MAX_MESSAGE_LENGTH} bytes;`,
        GOOD_REPLY,
      ]);
      expect(await raw.request('OP=GET;IND=1,1;')).toBe('OP=GET;IND=1,1;DATA=11,11;');
    });

    it('answers a too-long line still missing its terminator with one TOO_LONG, then serves the next line', async () => {
      const raw = await RawClient.open(server.protocol);
      // Far past the limit before any terminator: the server must not buffer it all.
      raw.write('OP=GET;IND=' + '1,'.repeat(20_000));
      raw.write('1;\n' + GOOD + '\n');
      expect(await raw.readLines(2)).toEqual([
        expect.stringMatching(errorLine('TOO_LONG')),
        GOOD_REPLY,
      ]);
    });

    it('serves the next bare message of a bare-message client after its too-long one', async () => {
      // A classic client sends bare messages (no terminator) and waits for each reply. After its
      // too-long message it gets TOO_LONG and, like any such client, sends its next bare message
      // at once: that message must be served, not dropped as the rest of the too-long one.
      const raw = await RawClient.open(server.protocol);
      raw.write(`OP=GET;IND=${'1,'.repeat(200)}1;`);
      expect(await raw.readLine()).toMatch(errorLine('TOO_LONG'));
      raw.write(GOOD);
      expect(await raw.readLine(3000)).toBe(GOOD_REPLY);
    });
  });

  describe('a request is validated whole before anything is applied', () => {
    let client: ProtocolConnection;

    beforeEach(async () => {
      client = await connectTo(server.protocol);
      expect(await client.send('OP=PUT;IND=2,3,4;DATA=20,30,40;')).toBe(
        'OP=PUT;IND=2,3,4;DATA=20,30,40;',
      );
    });

    it.each([
      ['one bad index after good ones', 'OP=PUT;IND=2,3,12;DATA=99,99,99;', 'BAD_INDEX'],
      ['one bad index before good ones', 'OP=PUT;IND=12,2,3;DATA=99,99,99;', 'BAD_INDEX'],
      ['one bad value', 'OP=PUT;IND=2,3,4;DATA=99,abc,99;', 'BAD_DATA'],
      ['one value out of range', `OP=PUT;IND=2,3,4;DATA=99,99,${'9'.repeat(19)};`, 'OVERFLOW'],
      ['one value too few', 'OP=PUT;IND=2,3,4;DATA=99,99;', 'COUNT_MISMATCH'],
    ])(
      'a PUT with %s changes nothing (checked via GET and GET /table)',
      async (_name, message, code) => {
        const before = await tableValues(server);
        expect(before.slice(1, 5)).toEqual(['11', '20', '30', '40']);
        expect(await client.send(message)).toMatch(errorLine(code));
        expect(await client.send('OP=GET;IND=1,2,3,4;')).toBe(
          'OP=GET;IND=1,2,3,4;DATA=11,20,30,40;',
        );
        expect(await tableValues(server)).toEqual(before);
      },
    );

    it('gives the exact documented BAD_INDEX message for a PUT of index 12 and applies none of it', async () => {
      expect(await client.send('OP=PUT;IND=2,12;DATA=1,2;')).toBe(
        'OP=ERR;CODE=BAD_INDEX;MSG=index 12 is outside 0..9;',
      );
      expect(await client.send('OP=GET;IND=2;')).toBe('OP=GET;IND=2;DATA=20;');
    });
  });

  describe('OVERFLOW of an ADD', () => {
    let client: ProtocolConnection;

    beforeEach(async () => {
      client = await connectTo(server.protocol);
    });

    it('rejects an ADD whose sum passes INT64_MAX after PUTting two large values, and the connection goes on', async () => {
      expect(await client.send(`OP=PUT;IND=7,8;DATA=${INT64_MAX},1;`)).toBe(
        `OP=PUT;IND=7,8;DATA=${INT64_MAX},1;`,
      );
      expect(await client.send('OP=ADD;IND=7,8;')).toMatch(errorLine('OVERFLOW'));
      expect(await client.send('OP=ADD;IND=7,7;')).toMatch(errorLine('OVERFLOW'));
      expect(await client.send('OP=GET;IND=7,8;')).toBe(`OP=GET;IND=7,8;DATA=${INT64_MAX},1;`);
      expect(await client.send('OP=ADD;IND=7;')).toBe(`OP=ADD;IND=7;DATA=${INT64_MAX};`);
    });

    it('rejects an ADD whose sum passes INT64_MIN', async () => {
      expect(await client.send(`OP=PUT;IND=7,8;DATA=${INT64_MIN},-1;`)).toBe(
        `OP=PUT;IND=7,8;DATA=${INT64_MIN},-1;`,
      );
      expect(await client.send('OP=ADD;IND=8,7;')).toMatch(errorLine('OVERFLOW'));
      expect(await client.send('OP=ADD;IND=7,8,8,8,8;')).toMatch(errorLine('OVERFLOW'));
      expect(await client.send(GOOD)).toBe(GOOD_REPLY);
    });

    it('accepts an ADD of exactly 5 indices', async () => {
      expect(await client.send('OP=PUT;IND=0,2,3,4,5;DATA=1,2,3,4,5;')).toBe(
        'OP=PUT;IND=0,2,3,4,5;DATA=1,2,3,4,5;',
      );
      expect(await client.send('OP=ADD;IND=0,1,2,3,4;')).toBe('OP=ADD;IND=0,1,2,3,4;DATA=21;');
    });
  });
});
