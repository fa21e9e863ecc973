/**
 * Small peers that behave like the course assignment's other implementations, to pair semicache
 * with: they read with `recv` (one read is one message, no framing), write their replies with
 * `sendall` and no line terminator, add a `CODE=200` field, and keep one connection for life.
 */
import { connectWithin } from '@semicache/client';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import type { Endpoint } from './processes';

/**
 * How a course server writes its replies:
 * - `plain`: `OP=GET;IND=1;DATA=5;CODE=200;`
 * - `no-final-semicolon`: `OP=GET;IND=1;DATA=5;CODE=200`
 * - `echo-inside`: the request as received (with whatever terminator it had), then the fields it
 *   adds: `OP=GET;IND=1;\r\nDATA=5;CODE=200;`
 * - `echo-after`: `plain`, then the blanks that ended the request: `OP=GET;IND=1;DATA=5;CODE=200;\r\n`
 */
export type ReplyStyle = 'plain' | 'no-final-semicolon' | 'echo-inside' | 'echo-after';

export interface CourseServerOptions {
  readonly style?: ReplyStyle;
  /** Entries in the table (indices 0..size-1), all 0 at first. */
  readonly size?: number;
  /** How long to take over a message before answering it (reading nothing meanwhile). */
  readonly delayMs?: (message: string) => number;
}

/**
 * A course server: it serves the first connection it accepts for as long as that connection
 * lives, one message per read, in order (it reads nothing while it works on one). Every later
 * connection is closed at once, as a server that is busy (or done) with its one client.
 */
export class CourseServer {
  /** Every message read, as read (one per `recv`), over its one connection. */
  readonly received: string[] = [];
  /** Connections made to it, the served one and those closed at once. */
  accepted = 0;
  /** When each connection was made (ms since epoch). */
  readonly acceptedAt: number[] = [];
  private client: Socket | undefined;
  private readonly table: bigint[];
  private readonly others = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: Endpoint,
    private readonly options: CourseServerOptions,
  ) {
    this.table = Array.from({ length: options.size ?? 10 }, () => 0n);
  }

  static async start(options: CourseServerOptions = {}): Promise<CourseServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const peer = new CourseServer(server, { host: '127.0.0.1', port }, options);
    server.on('connection', (socket) => peer.accept(socket));
    return peer;
  }

  /** `host:port`, as the proxy's `--upstream` takes it. */
  get target(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Whether the one connection it serves is open. */
  get serving(): boolean {
    return this.client !== undefined && !this.client.destroyed;
  }

  /** Closes the connection it serves; it serves no other after it. */
  dropClient(): void {
    this.client?.destroy();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.client?.destroy();
    for (const socket of this.others) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.accepted++;
    this.acceptedAt.push(Date.now());
    socket.on('error', () => undefined);
    if (this.client !== undefined) {
      this.others.add(socket);
      socket.once('close', () => this.others.delete(socket));
      socket.destroy();
      return;
    }
    this.client = socket;
    socket.on('data', (chunk: Buffer) => {
      const message = chunk.toString('latin1');
      this.received.push(message);
      const delay = this.options.delayMs?.(message) ?? 0;
      if (delay === 0) return void socket.write(this.answer(message));
      socket.pause();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (socket.destroyed) return;
        socket.write(this.answer(message));
        socket.resume();
      }, delay);
      this.timers.add(timer);
    });
  }

  /** What a typical course server answers: fields split on `;` and `=`, blanks trimmed. */
  private answer(message: string): string {
    const fields = new Map<string, string>();
    for (const field of message.trim().split(';')) {
      const [key, value] = field.split('=');
      if (key.trim() !== '') fields.set(key.trim().toUpperCase(), (value ?? '').trim());
    }
    const op = (fields.get('OP') ?? '').toUpperCase();
    const indices = (fields.get('IND') ?? '').split(',').map(Number);
    if (!['GET', 'PUT', 'ADD', 'CLR'].includes(op)) {
      return `OP=ERR;CODE=BAD_SYNTAX;MSG=cannot read ${op};`;
    }
    if (op !== 'CLR' && indices.some((index) => !(index >= 0 && index < this.table.length))) {
      return `OP=ERR;CODE=BAD_INDEX;MSG=index out of range;`;
    }
    let added = '';
    if (op === 'GET') added = `DATA=${indices.map((index) => this.table[index]).join(',')};`;
    if (op === 'ADD')
      added = `DATA=${indices.reduce((sum, index) => sum + this.table[index], 0n)};`;
    if (op === 'PUT') {
      const values = (fields.get('DATA') ?? '').split(',').map(BigInt);
      indices.forEach((index, position) => (this.table[index] = values[position]));
    }
    if (op === 'CLR') this.table.fill(0n);
    const style = this.options.style ?? 'plain';
    if (style === 'echo-inside') return `${message}${added}CODE=200;`;
    const plain =
      op === 'CLR'
        ? 'OP=CLR;CODE=200;'
        : `OP=${op};IND=${fields.get('IND')};${op === 'PUT' ? `DATA=${fields.get('DATA')};` : added}CODE=200;`;
    if (style === 'no-final-semicolon') return plain.slice(0, -1);
    if (style === 'echo-after') return plain + /\s*$/.exec(message)![0];
    return plain;
  }
}

const clients = new Set<CourseClient>();

/**
 * A course client: one connection, each request written with `sendall` as given (no
 * terminator), and the reply is what the next `recv` returns.
 */
export class CourseClient {
  private readonly chunks: string[] = [];
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk.toString('latin1'));
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
    socket.on('error', () => undefined);
  }

  static async connect(endpoint: Endpoint): Promise<CourseClient> {
    const client = new CourseClient(await connectWithin(endpoint.host, endpoint.port, 5000));
    clients.add(client);
    return client;
  }

  /** Sends `message` as is; resolves with the next read and how long it took to come. */
  async ask(message: string): Promise<{ reply: string; ms: number }> {
    const started = Date.now();
    this.socket.write(message);
    while (this.chunks.length === 0) {
      if (this.socket.destroyed) throw new Error(`connection closed; sent ${message}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return { reply: this.chunks.shift()!, ms: Date.now() - started };
  }

  close(): void {
    this.socket.destroy();
    clients.delete(this);
  }
}

export function closeAllCourseClients(): void {
  for (const client of clients) client.close();
}
