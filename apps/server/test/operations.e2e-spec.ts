// The four operations against the real server process, over a line
// client, bare-message clients (no terminator), CRLF clients, and in the lenient forms.
import type { ProtocolConnection } from '@semicache/client';
import { closeAllConnections, connectTo } from '../../../test/support/line-client';
import { type RunningApp, startApp, stopAll } from '../../../test/support/processes';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { STORES, storeFlags } from '../../../test/support/stores';
import { removeTempDirs } from '../../../test/support/temp-dirs';

jest.setTimeout(60_000);

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

afterEach(() => {
  closeAllConnections();
  closeAllRawClients();
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe.each(STORES)(
  'server operations (%s store, size 10, bare-message delay 20 ms)',
  (store) => {
    let server: RunningApp;
    let client: ProtocolConnection;

    beforeAll(async () => {
      server = await startApp('server', [
        ...(await storeFlags(store)),
        '--bare-message-delay-ms',
        '20',
      ]);
    });

    beforeEach(async () => {
      client = await connectTo(server.protocol);
      expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
    });

    it('answers the documented examples with the exact canonical replies', async () => {
      expect(await client.send('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
      expect(await client.send('OP=GET;IND=2,1,2;')).toBe('OP=GET;IND=2,1,2;DATA=20,10,20;');
      expect(await client.send('OP=ADD;IND=1,2;')).toBe('OP=ADD;IND=1,2;DATA=30;');
      expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
      expect(await client.send('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=0,0;');
    });

    it('starts every entry at 0 and CLR sets every entry back to 0', async () => {
      expect(await client.send('OP=GET;IND=0,1,2,3,4,5,6,7,8,9;')).toBe(
        'OP=GET;IND=0,1,2,3,4,5,6,7,8,9;DATA=0,0,0,0,0,0,0,0,0,0;',
      );
      expect(await client.send('OP=PUT;IND=0,3,9;DATA=-1,3,9;')).toBe(
        'OP=PUT;IND=0,3,9;DATA=-1,3,9;',
      );
      expect(await client.send('OP=CLR;')).toBe('OP=CLR;');
      expect(await client.send('OP=GET;IND=0,3,9;')).toBe('OP=GET;IND=0,3,9;DATA=0,0,0;');
      expect(await client.send('OP=ADD;IND=0,3,9;')).toBe('OP=ADD;IND=0,3,9;DATA=0;');
    });

    it('applies repeated PUT indices in order and answers every position of a repeated GET / ADD', async () => {
      expect(await client.send('OP=PUT;IND=3,3,4;DATA=1,2,5;')).toBe(
        'OP=PUT;IND=3,3,4;DATA=1,2,5;',
      );
      expect(await client.send('OP=GET;IND=3,4,3,3;')).toBe('OP=GET;IND=3,4,3,3;DATA=2,5,2,2;');
      expect(await client.send('OP=ADD;IND=3,3,4,4,4;')).toBe('OP=ADD;IND=3,3,4,4,4;DATA=19;');
    });

    it('stores and returns the whole signed 64-bit range exactly (no float rounding)', async () => {
      expect(
        await client.send(`OP=PUT;IND=0,9,5;DATA=${INT64_MIN},${INT64_MAX},9007199254740993;`),
      ).toBe(`OP=PUT;IND=0,9,5;DATA=${INT64_MIN},${INT64_MAX},9007199254740993;`);
      expect(await client.send('OP=GET;IND=9,0,5;')).toBe(
        `OP=GET;IND=9,0,5;DATA=${INT64_MAX},${INT64_MIN},9007199254740993;`,
      );
      // MAX + MIN = -1: a sum that stays in range is fine.
      expect(await client.send('OP=ADD;IND=9,0;')).toBe('OP=ADD;IND=9,0;DATA=-1;');
      // An intermediate sum may leave the range as long as the final one does not.
      expect(await client.send('OP=PUT;IND=1,2;DATA=1,-1;')).toBe('OP=PUT;IND=1,2;DATA=1,-1;');
      expect(await client.send('OP=ADD;IND=9,1,2;')).toBe(`OP=ADD;IND=9,1,2;DATA=${INT64_MAX};`);
    });

    it('answers in canonical form what it accepted in a lenient one (sign, leading zeros)', async () => {
      expect(await client.send('OP=PUT;IND=01,002;DATA=+7,-007;')).toBe(
        'OP=PUT;IND=1,2;DATA=7,-7;',
      );
      expect(await client.send('OP=GET;IND=+1,+02;')).toBe('OP=GET;IND=1,2;DATA=7,-7;');
    });

    it('accepts None for a field the operation does not use, and says so where a value is needed', async () => {
      expect(await client.send('OP=PUT;IND=3;DATA=33;')).toBe('OP=PUT;IND=3;DATA=33;');
      expect(await client.send('OP=GET;IND=3;DATA=none;')).toBe('OP=GET;IND=3;DATA=33;');
      expect(await client.send('OP=ADD;IND=3,3;DATA=NONE')).toBe('OP=ADD;IND=3,3;DATA=66;');
      expect(await client.send('OP=GET;IND=None;')).toBe(
        'OP=ERR;CODE=BAD_SYNTAX;MSG=GET needs IND, got None;',
      );
      expect(await client.send('OP=GET;IND=3;DATA=5;')).toBe(
        'OP=ERR;CODE=BAD_SYNTAX;MSG=GET takes no DATA;',
      );
      expect(await client.send('OP=CLR;IND=None;DATA=None;')).toBe('OP=CLR;');
      expect(await client.send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    });

    it('accepts lower case, spaces around tokens, tabs and a missing final ";" and replies canonically', async () => {
      expect(await client.send('op=put;ind=4,5;data=44,55;')).toBe('OP=PUT;IND=4,5;DATA=44,55;');
      expect(await client.send(' OP = GET ; IND = 5 , 4 ; ')).toBe('OP=GET;IND=5,4;DATA=55,44;');
      expect(await client.send('OP=GET;IND=4')).toBe('OP=GET;IND=4;DATA=44;');
      expect(await client.send('Op=Add;Ind=4,5')).toBe('OP=ADD;IND=4,5;DATA=99;');
      expect(await client.send('\tOP=PUT;\tIND=6;DATA=\t-6\t;')).toBe('OP=PUT;IND=6;DATA=-6;');
      expect(await client.send('op=clr')).toBe('OP=CLR;');
      expect(await client.send('OP=GET;IND=4,5,6;')).toBe('OP=GET;IND=4,5,6;DATA=0,0,0;');
    });

    it('serves CRLF-terminated messages, several in one write, and answers with LF-terminated canonical lines', async () => {
      const raw = await RawClient.open(server.protocol);
      raw.write('OP=PUT;IND=1,2;DATA=10,20;\r\nOP=GET;IND=2,1,2;\r\n');
      raw.write('OP=ADD;IND=1,2;\r\nop=get;ind=1\r\nOP=CLR;\r\nOP=GET;IND=1;\r\n');
      expect(await raw.readLines(6)).toEqual([
        'OP=PUT;IND=1,2;DATA=10,20;',
        'OP=GET;IND=2,1,2;DATA=20,10,20;',
        'OP=ADD;IND=1,2;DATA=30;',
        'OP=GET;IND=1;DATA=10;',
        'OP=CLR;',
        'OP=GET;IND=1;DATA=0;',
      ]);
      // readLines splits on LF only: a reply ending in CRLF would keep a '\r' here.
      expect(raw.unterminated).toBe('');
    });

    it('skips blank lines (LF and CRLF) without answering them', async () => {
      const raw = await RawClient.open(server.protocol);
      raw.write('\n\r\n\nOP=PUT;IND=7;DATA=70;\n\n\r\nOP=GET;IND=7;\n');
      expect(await raw.readLines(2)).toEqual(['OP=PUT;IND=7;DATA=70;', 'OP=GET;IND=7;DATA=70;']);
      // Nothing owed for the blank lines: the next reply is the next request's.
      expect(await raw.request('OP=ADD;IND=7,7;')).toBe('OP=ADD;IND=7,7;DATA=140;');
      expect(raw.available).toBe(0);
    });

    it('serves classic bare-message clients: one connection per message, no terminator, then wait', async () => {
      // As the course clients do: connect, sendall(msg) without a terminator, recv, close.
      const bare = async (message: string): Promise<string> => {
        const raw = await RawClient.open(server.protocol);
        raw.write(message);
        const reply = await raw.readLine();
        expect(raw.closed).toBe(false);
        raw.close();
        return reply;
      };
      expect(await bare('OP=PUT;IND=1,2;DATA=10,20;')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
      expect(await bare('OP=GET;IND=2,1,2;')).toBe('OP=GET;IND=2,1,2;DATA=20,10,20;');
      expect(await bare('OP=ADD;IND=1,2;')).toBe('OP=ADD;IND=1,2;DATA=30;');
      expect(await bare('OP=CLR;')).toBe('OP=CLR;');
      expect(await bare('OP=GET;IND=1,2;')).toBe('OP=GET;IND=1,2;DATA=0,0;');
      // Lenient bare forms that still end in ';' (spaces after it included).
      expect(await bare('op = put ; ind = 3 ; data = 33 ;  ')).toBe('OP=PUT;IND=3;DATA=33;');
    });

    it('answers a bare request without its final ";" at the short pause too, not after the partial-message timeout', async () => {
      // A course client: sendall('OP=GET;IND=1,2') and wait, on one connection for its life.
      const raw = await RawClient.open(server.protocol);
      const exchange = async (message: string) => {
        const started = Date.now();
        raw.write(message);
        const reply = await raw.readLine();
        // Loosely: the short pause is 20 ms here, the partial-message timeout 5 s.
        expect(Date.now() - started).toBeLessThan(2500);
        return reply;
      };
      expect(await exchange('OP=PUT;IND=1,2;DATA=10,20')).toBe('OP=PUT;IND=1,2;DATA=10,20;');
      expect(await exchange('OP=GET;IND=1,2')).toBe('OP=GET;IND=1,2;DATA=10,20;');
      expect(await exchange('op=add;ind=1,2 ')).toBe('OP=ADD;IND=1,2;DATA=30;');
      expect(await exchange('OP=GET;IND=99')).toMatch(/^OP=ERR;CODE=BAD_INDEX;/);
      expect(await exchange('OP=CLR;IND=None;DATA=None')).toBe('OP=CLR;');
      expect(await exchange('OP=CLR')).toBe('OP=CLR;');
      expect(await raw.request('OP=GET;IND=1')).toBe('OP=GET;IND=1;DATA=0;');
    });

    it('serves several bare messages in turn on one connection, each answered before the next is sent', async () => {
      const raw = await RawClient.open(server.protocol);
      raw.write('OP=PUT;IND=8;DATA=80;');
      expect(await raw.readLine()).toBe('OP=PUT;IND=8;DATA=80;');
      raw.write('OP=GET;IND=8,8;');
      expect(await raw.readLine()).toBe('OP=GET;IND=8,8;DATA=80,80;');
      raw.write('OP=ADD;IND=8,8,8;');
      expect(await raw.readLine()).toBe('OP=ADD;IND=8,8,8;DATA=240;');
      raw.write('OP=CLR;');
      expect(await raw.readLine()).toBe('OP=CLR;');
      // And a line-terminated one afterwards on the same connection.
      expect(await raw.request('OP=GET;IND=8;')).toBe('OP=GET;IND=8;DATA=0;');
    });

    it('answers a bare message whose sender half-closes (printf ... | nc), then closes the connection', async () => {
      const raw = await RawClient.open(server.protocol);
      raw.end('OP=PUT;IND=9;DATA=99;\nOP=GET;IND=9');
      expect(await raw.readLines(2)).toEqual(['OP=PUT;IND=9;DATA=99;', 'OP=GET;IND=9;DATA=99;']);
      await raw.whenClosed();
      expect(raw.closed).toBe(true);
    });
  },
);

describe('server bare-message timing flags', () => {
  let server: RunningApp;

  beforeAll(async () => {
    server = await startApp('server', [
      '--in-memory',
      '--bare-message-delay-ms',
      '400',
      '--partial-message-timeout-ms',
      '700',
    ]);
  });

  it('waits --bare-message-delay-ms before taking an unterminated message, while terminated ones are answered at once', async () => {
    const bare = await RawClient.open(server.protocol);
    const line = await RawClient.open(server.protocol);
    const order: string[] = [];
    const started = Date.now();
    bare.write('OP=PUT;IND=1;DATA=11;');
    const bareReply = bare.readLine().then((reply) => {
      order.push('bare');
      return { reply, elapsed: Date.now() - started };
    });
    const lineReply = line.request('OP=PUT;IND=2;DATA=22;').then((reply) => {
      order.push('line');
      return reply;
    });
    expect(await lineReply).toBe('OP=PUT;IND=2;DATA=22;');
    const { reply, elapsed } = await bareReply;
    expect(reply).toBe('OP=PUT;IND=1;DATA=11;');
    expect(order).toEqual(['line', 'bare']);
    // Timers may fire a millisecond or so early; never hundreds.
    expect(elapsed).toBeGreaterThanOrEqual(380);
  });

  it('waits --bare-message-delay-ms before taking a whole request without its final ";"', async () => {
    const raw = await RawClient.open(server.protocol);
    const started = Date.now();
    raw.write('OP=PUT;IND=3;DATA=33');
    expect(await raw.readLine()).toBe('OP=PUT;IND=3;DATA=33;');
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  it('takes unterminated input that is not a whole request after --partial-message-timeout-ms, and answers it', async () => {
    const raw = await RawClient.open(server.protocol);
    const started = Date.now();
    raw.write('OP=PUT;IND=1,2;DATA=5');
    expect(await raw.readLine()).toBe(
      'OP=ERR;CODE=COUNT_MISMATCH;MSG=IND has 2 item(s) but DATA has 1;',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(680);
    // The rest of that message, had it come in time, would have made it whole.
    const patient = await RawClient.open(server.protocol);
    patient.write('OP=PUT;IND=1,2;DATA=5');
    patient.write(',6\n');
    expect(await patient.readLine()).toBe('OP=PUT;IND=1,2;DATA=5,6;');
  });
});
