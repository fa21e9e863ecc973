import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import type { Endpoint } from './processes';

/**
 * What the peer answers to one line it received: a reply line, or undefined for no reply, now or
 * (a promise) later. Replies go out in the order the lines came, as a server's would.
 */
export type Script = (line: string) => string | undefined | Promise<string | undefined>;

/**
 * A fake server on a free loopback port that answers each line it receives with what the test's
 * script says: to make an upstream misbehave in ways a real server never does.
 */
export class ScriptedPeer {
  /** Every line received, over all connections, in arrival order. */
  readonly received: string[] = [];
  /** Connections accepted so far, closed or not. */
  accepted = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: Endpoint,
  ) {}

  /** Listens on `port` (by default any free one). */
  static async start(script: Script, listenPort = 0): Promise<ScriptedPeer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const peer = new ScriptedPeer(server, { host: '127.0.0.1', port });
    server.on('connection', (socket) => peer.serve(socket, script));
    return peer;
  }

  /** `host:port`, as the proxy's `--upstream` takes it. */
  get target(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket, script: Script): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setEncoding('latin1');
    let buffer = '';
    // The replies still to come, in order; undefined while none is awaited.
    let later: Promise<void> | undefined;
    const write = (reply: string | undefined) => {
      if (reply !== undefined && !socket.destroyed) socket.write(reply + '\n');
    };
    socket.on('data', (text: string) => {
      buffer += text;
      let start = 0;
      for (let lf = buffer.indexOf('\n'); lf !== -1; lf = buffer.indexOf('\n', start)) {
        // Without the CR of a CRLF, as semicache's own server reads lines.
        const line = buffer.slice(start, lf).replace(/\r$/, '');
        start = lf + 1;
        this.received.push(line);
        const reply = script(line);
        if (later === undefined && !(reply instanceof Promise)) {
          write(reply);
          continue;
        }
        const next: Promise<void> = (later ?? Promise.resolve()).then(() => reply).then(write);
        later = next;
        void next.then(() => {
          if (later === next) later = undefined;
        });
      }
      buffer = buffer.slice(start);
    });
  }
}
