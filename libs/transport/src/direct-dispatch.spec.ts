import {
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
  Injectable,
  Logger,
  type NestInterceptor,
  type PipeTransform,
  type Provider,
  type RpcExceptionFilter,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer';
import type { NestHybridApplicationOptions } from '@nestjs/common/interfaces';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { EventLog } from '@semicache/events';
import {
  OPS,
  type AddRequest,
  type GetReply,
  type GetRequest,
  ProtocolError,
  type PutRequest,
} from '@semicache/protocol';
import { type Observable, map, of, throwError } from 'rxjs';
import { RawClient, closeAllRawClients } from '../../../test/support/raw-client';
import { ProtocolErrorFilter } from './protocol-error.filter';
import { SemicolonContext } from './semicolon-context';
import { planDispatch } from './direct-dispatch';
import { SemicolonServer } from './semicolon-server';

/**
 * The handlers the tests call: GET answers index i with i × 10 at once, and fails for the indices
 * below as a handler can (thrown, rejected, an unexpected error); ADD answers with a promise, PUT
 * with an observable, CLR checks that it got the transport's context.
 */
const FAILURES: Record<number, () => never> = {
  99: () => {
    throw new ProtocolError('BAD_INDEX', 'index 99 is not served');
  },
  97: () => {
    throw new Error('a bug');
  },
};

function getReply(request: GetRequest): GetReply {
  for (const index of request.indices) FAILURES[index]?.();
  return {
    op: 'GET',
    indices: request.indices,
    values: request.indices.map((i) => BigInt(i * 10)),
  };
}

/** Settles after `turns` turns of the event loop: a reply that takes a while. */
async function afterTurns(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A controller as the apps write them, with the given decorators added on its class and on GET. */
function controllerWith(onClass: ClassDecorator[] = [], onGet: MethodDecorator[] = []): Type {
  @Controller()
  @UseFilters(ProtocolErrorFilter)
  class TableLikeController {
    @MessagePattern('GET')
    get(@Payload() request: GetRequest) {
      switch (request.indices[0]) {
        case 98:
          return Promise.reject(new ProtocolError('BAD_INDEX', 'index 98 is not served'));
        // Replies a buggy handler could give: not one to send.
        case 96:
          return { op: 'GET', indices: request.indices };
        case 95:
          return 'OP=GET;IND=95;DATA=950;';
        case 94:
          return Promise.resolve(null);
      }
      return getReply(request);
    }

    /** Takes as many turns as its first index, checking that its context stays its own. */
    @MessagePattern('ADD')
    async add(@Payload() request: AddRequest, @Ctx() context: SemicolonContext) {
      const connection = context.getConnectionId();
      await afterTurns(request.indices[0]);
      if (context.getConnectionId() !== connection) throw new Error('context reused in flight');
      return { op: 'ADD', indices: request.indices, sum: 7n };
    }

    @MessagePattern('PUT')
    put(@Payload() request: PutRequest) {
      return of({ op: 'PUT', indices: request.indices, values: request.values });
    }

    @MessagePattern('CLR')
    clear(@Payload() _request: unknown, @Ctx() context: unknown) {
      if (!(context instanceof SemicolonContext)) throw new Error('no context');
      return { op: 'CLR' };
    }
  }
  Reflect.decorate(onClass, TableLikeController);
  const descriptor = Object.getOwnPropertyDescriptor(TableLikeController.prototype, 'get');
  Reflect.decorate(onGet, TableLikeController.prototype, 'get', descriptor);
  return TableLikeController;
}

/** What the enhancers below saw, so a test can tell they ran. */
const seen: string[] = [];

@Injectable()
class CountingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToRpc().getData<GetRequest>();
    seen.push('guard');
    // Index 13 is refused.
    return request.indices?.[0] !== 13;
  }
}

/** Adds 1 to every value of a GET reply. */
@Injectable()
class PlusOneInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    seen.push('interceptor');
    return next
      .handle()
      .pipe(
        map((reply: GetReply) =>
          reply.op === 'GET' ? { ...reply, values: reply.values.map((v) => v + 1n) } : reply,
        ),
      );
  }
}

/** Asks for the next index instead. */
@Injectable()
class NextIndexPipe implements PipeTransform {
  transform(request: GetRequest): GetRequest {
    seen.push('pipe');
    return request.op === 'GET'
      ? { ...request, indices: request.indices.map((i) => i + 1) }
      : request;
  }
}

/** Answers any error as BUSY. */
@Catch()
class BusyFilter implements RpcExceptionFilter {
  catch(): Observable<never> {
    seen.push('filter');
    return throwError(() => new ProtocolError('BUSY', 'filtered'));
  }
}

/** A subclass of the transport's filter that answers differently: no pass-through. */
@Catch(ProtocolError)
class RenamingFilter extends ProtocolErrorFilter {
  override catch(error: ProtocolError): Observable<never> {
    seen.push('filter');
    return throwError(() => new ProtocolError('BUSY', `was ${error.code}`));
  }
}

let instances = 0;

/** A new one, with its own serial number, for every request. */
@Injectable({ scope: Scope.REQUEST })
class PerRequest {
  readonly serial = ++instances;
}

let app: INestApplication | undefined;
let transport: SemicolonServer;
let events: EventLog;
let client: RawClient;

const SERVER_OPTIONS = {
  host: '127.0.0.1',
  port: 0,
  maxConnections: 10,
  socket: {
    maxMessageLength: 1024,
    bareMessageDelayMs: 50,
    partialMessageTimeoutMs: 1000,
    idleTimeoutMs: 0,
    maxPendingReplies: 64,
  },
};

/** How the transport's microservice joins the app, and what is registered on it. */
interface Hybrid {
  readonly options: NestHybridApplicationOptions;
  readonly configure?: (microservice: INestMicroservice) => void;
}

/**
 * A hybrid app with `controller` (and `providers`) and the transport on port 0, connected after
 * `configure` (where `useGlobal*` goes, as Nest wants it before the microservice) as `hybrid`
 * says, and a client.
 */
async function start(
  controller: Type,
  providers: Provider[] = [],
  configure: (app: INestApplication) => void = () => undefined,
  hybrid: Hybrid = { options: { inheritAppConfig: true } },
): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    controllers: [controller],
    providers,
  }).compile();
  app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
  configure(app);
  events = new EventLog({ app: 'server', capacity: 64, sources: ['table'], waitField: 'storeUs' });
  transport = new SemicolonServer({ ...SERVER_OPTIONS, events, application: app });
  const microservice = app.connectMicroservice({ strategy: transport }, hybrid.options);
  hybrid.configure?.(microservice);
  await app.startAllMicroservices();
  await app.init();
  client = await RawClient.open({ host: '127.0.0.1', port: transport.address().port });
}

/** Every way the handlers answer, with the replies the apps have always given. */
const EXCHANGES: [request: string, reply: string | RegExp][] = [
  ['OP=GET;IND=1,2;', 'OP=GET;IND=1,2;DATA=10,20;'],
  ['OP=GET;IND=99;', 'OP=ERR;CODE=BAD_INDEX;MSG=index 99 is not served;'],
  ['OP=GET;IND=98;', 'OP=ERR;CODE=BAD_INDEX;MSG=index 98 is not served;'],
  ['OP=GET;IND=97;', /^OP=ERR;CODE=INTERNAL;MSG=[^;]+;$/],
  ['OP=ADD;IND=1,2;', 'OP=ADD;IND=1,2;DATA=7;'],
  ['OP=PUT;IND=3;DATA=4;', 'OP=PUT;IND=3;DATA=4;'],
  ['OP=CLR;', 'OP=CLR;'],
];

async function exchangeAll(): Promise<void> {
  for (const [request, reply] of EXCHANGES) {
    const answer = await client.request(request);
    if (typeof reply === 'string') expect(answer).toBe(reply);
    else expect(answer).toMatch(reply);
  }
}

/**
 * One request that the enhancer `mark` acts on, and its trace. A global filter comes after the
 * class's ProtocolErrorFilter (Nest tries the method's, the class's, then the global ones), so
 * it is shown an error that one does not catch.
 */
async function exchangeMarked(mark: string): Promise<void> {
  if (mark === 'filter') {
    expect(await client.request('OP=GET;IND=97;')).toBe('OP=ERR;CODE=BUSY;MSG=filtered;');
  } else {
    await client.request('OP=GET;IND=1;');
  }
  expect(seen).toEqual([mark]);
}

const intercept = jest.spyOn(InterceptorsConsumer.prototype, 'intercept');

// Nest logs the unexpected error of index 97 (and the transport its `request failed` line).
beforeAll(() => Logger.overrideLogger(false));

beforeEach(() => {
  seen.length = 0;
  intercept.mockClear();
});

afterEach(async () => {
  closeAllRawClients();
  await app?.close();
  app = undefined;
});

describe('direct dispatch', () => {
  it('calls handlers without guards, interceptors, pipes or filters directly, past Nest', async () => {
    await start(controllerWith());
    expect(transport.dispatchModes()).toEqual({
      GET: 'direct',
      PUT: 'direct',
      CLR: 'direct',
      ADD: 'direct',
    });
    await exchangeAll();
    // Nest's pipeline runs its interceptors (none here) for every request it handles.
    expect(intercept).not.toHaveBeenCalled();
  });

  it('gives the replies Nest gives with ProtocolErrorFilter when the pipeline runs', async () => {
    await start(controllerWith([UseGuards(CountingGuard)]));
    expect(transport.dispatchModes().GET).toBe('pipeline (guard)');
    await exchangeAll();
    expect(intercept).toHaveBeenCalledTimes(EXCHANGES.length);
  });
});

describe('Nest pipeline where an enhancer applies', () => {
  it('a guard on the method runs and refuses', async () => {
    await start(controllerWith([], [UseGuards(CountingGuard)]));
    expect(transport.dispatchModes()).toMatchObject({ GET: 'pipeline (guard)', ADD: 'direct' });
    expect(await client.request('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=10;');
    expect(await client.request('OP=GET;IND=13;')).toMatch(/^OP=ERR;CODE=INTERNAL;/);
    expect(await client.request('OP=ADD;IND=1;')).toBe('OP=ADD;IND=1;DATA=7;');
    expect(seen).toEqual(['guard', 'guard']);
  });

  it('an interceptor on the class changes the reply', async () => {
    await start(controllerWith([UseInterceptors(PlusOneInterceptor)]));
    expect(transport.dispatchModes().GET).toBe('pipeline (interceptor)');
    expect(await client.request('OP=GET;IND=1;')).toBe('OP=GET;IND=1;DATA=11;');
    expect(seen).toEqual(['interceptor']);
  });

  it.each([
    ['a pipe', UsePipes(NextIndexPipe), 'pipe', 'OP=GET;IND=1;', 'OP=GET;IND=2;DATA=20;'],
    [
      'another exception filter',
      UseFilters(BusyFilter),
      'exception filter',
      'OP=GET;IND=99;',
      'OP=ERR;CODE=BUSY;MSG=filtered;',
    ],
    [
      'a subclass of ProtocolErrorFilter',
      UseFilters(RenamingFilter),
      'exception filter',
      'OP=GET;IND=99;',
      'OP=ERR;CODE=BUSY;MSG=was BAD_INDEX;',
    ],
  ])('%s on the method answers instead', async (_what, decorator, reason, request, reply) => {
    await start(controllerWith([], [decorator]));
    expect(transport.dispatchModes().GET).toBe(`pipeline (${reason})`);
    expect(await client.request(request)).toBe(reply);
    expect(seen).toHaveLength(1);
  });

  it('a pipe on the parameter changes the request', async () => {
    @Controller()
    class ParameterPipeController {
      @MessagePattern('GET')
      get(@Payload(NextIndexPipe) request: GetRequest) {
        return getReply(request);
      }
    }
    await start(ParameterPipeController);
    expect(transport.dispatchModes()).toEqual({ GET: 'pipeline (parameter pipe)' });
    expect(await client.request('OP=GET;IND=1;')).toBe('OP=GET;IND=2;DATA=20;');
  });

  it('a request-scoped controller gets its instance per request', async () => {
    @Controller()
    class RequestScopedController {
      constructor(private readonly perRequest: PerRequest) {}

      @MessagePattern('GET')
      get(@Payload() request: GetRequest) {
        return { op: 'GET', indices: request.indices, values: [BigInt(this.perRequest.serial)] };
      }
    }
    await start(RequestScopedController, [PerRequest]);
    expect(transport.dispatchModes()).toEqual({ GET: 'pipeline (request-scoped controller)' });
    const first = await client.request('OP=GET;IND=1;');
    expect(await client.request('OP=GET;IND=1;')).not.toBe(first);
  });

  it.each([
    ['guard', (a: INestApplication) => a.useGlobalGuards(new CountingGuard()), 'guard'],
    [
      'interceptor',
      (a: INestApplication) => a.useGlobalInterceptors(new PlusOneInterceptor()),
      'interceptor',
    ],
    ['pipe', (a: INestApplication) => a.useGlobalPipes(new NextIndexPipe()), 'pipe'],
    ['filter', (a: INestApplication) => a.useGlobalFilters(new BusyFilter()), 'filter'],
  ])('a global %s (app.useGlobal*) applies to every handler', async (_kind, configure, mark) => {
    await start(controllerWith(), [], configure);
    for (const mode of Object.values(transport.dispatchModes())) expect(mode).toMatch(/^pipeline/);
    await exchangeMarked(mark);
  });

  it.each([
    ['guard', { provide: APP_GUARD, useClass: CountingGuard }, 'guard'],
    ['interceptor', { provide: APP_INTERCEPTOR, useClass: PlusOneInterceptor }, 'interceptor'],
    ['pipe', { provide: APP_PIPE, useClass: NextIndexPipe }, 'pipe'],
    ['filter', { provide: APP_FILTER, useClass: BusyFilter }, 'filter'],
    [
      'request-scoped guard',
      { provide: APP_GUARD, useClass: CountingGuard, scope: Scope.REQUEST },
      'guard',
    ],
  ])('a global %s (APP_* provider) applies to every handler', async (_kind, provider, mark) => {
    await start(controllerWith(), [provider]);
    for (const mode of Object.values(transport.dispatchModes())) expect(mode).toMatch(/^pipeline/);
    await exchangeMarked(mark);
  });
});

describe('a reply that cannot be sent', () => {
  const INTERNAL = /^OP=ERR;CODE=INTERNAL;MSG=[^;]+;$/;

  it.each([
    ['direct', []],
    ['pipeline', [UseGuards(CountingGuard)]],
  ])(
    '(%s) is an internal error, logged and recorded once; the connection serves on',
    async (_mode, onClass) => {
      await start(controllerWith(onClass));
      const logged = jest.spyOn(Logger.prototype, 'error').mockClear();
      const before = events.nextSeq;
      // Not serializable, not a reply object, a promise of nothing; then a good one.
      client.write('OP=GET;IND=96;\nOP=GET;IND=95;\nOP=GET;IND=94;\nOP=GET;IND=1;\n');
      const replies = await client.readLines(4);
      expect(replies.slice(0, 3)).toEqual([
        expect.stringMatching(INTERNAL),
        expect.stringMatching(INTERNAL),
        expect.stringMatching(INTERNAL),
      ]);
      expect(replies[3]).toBe('OP=GET;IND=1;DATA=10;');
      expect(events.nextSeq - before).toBe(4);
      const failures = logged.mock.calls.filter(
        ([line]) => (line as { msg?: string }).msg === 'request failed',
      );
      expect(failures).toHaveLength(3);
    },
  );

  it('leaves every later request a context of its own', async () => {
    await start(controllerWith());
    expect(await client.request('OP=GET;IND=96;')).toMatch(INTERNAL);
    // The second is still in flight when the first is answered.
    client.write('OP=ADD;IND=1;\nOP=ADD;IND=3;\n');
    expect(await client.readLines(2)).toEqual(['OP=ADD;IND=1;DATA=7;', 'OP=ADD;IND=3;DATA=7;']);
  });
});

describe('a microservice with a config of its own (inheritAppConfig: false)', () => {
  const OWN_CONFIG = { inheritAppConfig: false, deferInitialization: true };

  it('runs the global guard registered on the microservice', async () => {
    await start(controllerWith(), [], undefined, {
      options: OWN_CONFIG,
      configure: (microservice) => microservice.useGlobalGuards(new CountingGuard()),
    });
    for (const mode of Object.values(transport.dispatchModes())) {
      expect(mode).toBe('pipeline (global guard)');
    }
    await exchangeMarked('guard');
  });

  it("does not take the app's global guard, which does not apply to it, for its own", async () => {
    await start(controllerWith(), [], (a) => a.useGlobalGuards(new CountingGuard()), {
      options: OWN_CONFIG,
    });
    for (const mode of Object.values(transport.dispatchModes())) expect(mode).toBe('direct');
    expect(await client.request('OP=GET;IND=13;')).toBe('OP=GET;IND=13;DATA=130;');
    expect(seen).toEqual([]);
  });

  it('calls nothing directly for a server whose microservice is not found', async () => {
    await start(controllerWith());
    const plan = planDispatch(app!, new SemicolonServer({ ...SERVER_OPTIONS, events }), OPS);
    for (const dispatch of plan.values()) {
      expect(dispatch).toEqual({ mode: 'pipeline', reason: 'microservice config unknown' });
    }
  });
});
