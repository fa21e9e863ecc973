import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { type BenchOptions, runBench } from './bench-runner';

/** How long the scripted peer holds back a reply it is told to delay. */
const HOLD_MS = 1000;

/**
 * A local TCP peer standing in for a proxy: it numbers the requests of its one connection from 1
 * and answers each `OP=GET;IND=0;DATA=0;` when the test's script releases it, always in request
 * order (a reply released early waits for the ones before it).
 */
class ScriptedPeer {
  private readonly server: Server;
  private socket: Socket | undefined;
  private received = 0;
  private sent = 0;
  private readonly released = new Set<number>();
  /** The most requests that were ever waiting for their reply at once. */
  mostInFlight = 0;

  constructor(private readonly script: (request: number, peer: ScriptedPeer) => void) {
    this.server = createServer((socket) => {
      this.socket = socket;
      socket.setEncoding('latin1');
      let buffer = '';
      socket.on('data', (text: string) => {
        buffer += text;
        for (let lf = buffer.indexOf('\n'); lf !== -1; lf = buffer.indexOf('\n')) {
          buffer = buffer.slice(lf + 1);
          this.received++;
          this.mostInFlight = Math.max(this.mostInFlight, this.received - this.sent);
          this.script(this.received, this);
        }
      });
      socket.on('error', () => undefined);
    });
  }

  get requestsReceived(): number {
    return this.received;
  }

  isAnswered(request: number): boolean {
    return request <= this.sent;
  }

  release(request: number): void {
    this.released.add(request);
    let replies = '';
    while (this.released.delete(this.sent + 1)) {
      this.sent++;
      replies += 'OP=GET;IND=0;DATA=0;\n';
    }
    if (replies !== '') this.socket?.write(replies);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const peers: ScriptedPeer[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearTimeout(timer);
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

/** Runs the bench on one connection against a peer following `script`. */
async function benchAgainst(
  script: (request: number, peer: ScriptedPeer) => void,
  options: Pick<BenchOptions, 'pipeline' | 'requests'>,
) {
  const peer = new ScriptedPeer(script);
  peers.push(peer);
  const port = await peer.listen();
  const result = await runBench({
    host: '127.0.0.1',
    port,
    connections: 1,
    durationSeconds: 60,
    mix: { GET: 1, PUT: 0, ADD: 0 },
    keys: 1,
    distribution: 'uniform',
    skew: 1,
    seed: 1,
    timeoutMs: 5000,
    framing: 'line',
    ...options,
  });
  return { peer, result };
}

const later = (ms: number, action: () => void) => timers.push(setTimeout(action, ms));

describe('runBench -P', () => {
  it('times each reply from its own write to its own arrival, not to the last reply of a batch', async () => {
    // Three in flight: the first two answered at once, the third only after HOLD_MS.
    const { result } = await benchAgainst(
      (request, peer) =>
        request === 3 ? later(HOLD_MS, () => peer.release(3)) : peer.release(request),
      { pipeline: 3, requests: 3 },
    );
    expect(result.requests).toBe(3);
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(HOLD_MS);
    // Two of the three replies came at once: the median is theirs, far below the held one.
    expect(result.latencyMs.p50).toBeLessThan(HOLD_MS / 2);
  });

  it('keeps P requests in flight: a new one is written as soon as a reply arrives', async () => {
    // Two in flight. Reply 1 at once; reply 2 is held until request 3 has arrived (or, should
    // request 3 wait for reply 2 as in a batch, until HOLD_MS has passed).
    let thirdCameWhileSecondHeld = false;
    const { peer, result } = await benchAgainst(
      (request, peer) => {
        if (request === 1) peer.release(1);
        if (request === 2) later(HOLD_MS, () => peer.release(2));
        if (request === 3) {
          thirdCameWhileSecondHeld = !peer.isAnswered(2);
          peer.release(2);
          peer.release(3);
        }
      },
      { pipeline: 2, requests: 3 },
    );
    expect({ requests: result.requests, errors: result.errors }).toEqual({
      requests: 3,
      errors: 0,
    });
    expect(thirdCameWhileSecondHeld).toBe(true);
    expect(peer.mostInFlight).toBe(2);
    expect(peer.requestsReceived).toBe(3);
  });
});
