import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminRequestError, ProxyAdmin, ServerAdmin, getJson } from './admin-client';

/** A local HTTP server answering every request with `answer`. */
async function httpServer(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
async function serve(answer: (request: IncomingMessage, response: ServerResponse) => void) {
  const started = await httpServer(answer);
  servers.push(started.server);
  return started.url;
}
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const json = (status: number, body: unknown) => (_: IncomingMessage, response: ServerResponse) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('getJson', () => {
  it('answers the status and the parsed body, whatever the status', async () => {
    const url = await serve(json(503, { status: 'degraded' }));
    expect(await getJson(`${url}/health`)).toEqual({ status: 503, body: { status: 'degraded' } });
  });

  it('gives up with AdminRequestError when nothing answers within the timeout', async () => {
    const url = await serve(() => undefined); // never answers
    const read = getJson(`${url}/stats`, 100);
    await expect(read).rejects.toBeInstanceOf(AdminRequestError);
    await expect(read).rejects.toThrow(`cannot read ${url}/stats`);
  });

  it('fails with AdminRequestError on a body that is not JSON', async () => {
    const url = await serve((_, response) => response.end('not json'));
    await expect(getJson(url)).rejects.toBeInstanceOf(AdminRequestError);
  });
});

describe('ProxyAdmin and ServerAdmin', () => {
  it('read each endpoint at its path', async () => {
    const paths: string[] = [];
    const url = await serve((request, response) => {
      paths.push(request.url!);
      json(200, { path: request.url })(request, response);
    });
    const proxy = new ProxyAdmin(url);
    const server = new ServerAdmin(url);
    await Promise.all([proxy.stats(), proxy.cache(), proxy.health(), proxy.policies()]);
    await Promise.all([server.table(), server.entry(7), server.health()]);
    expect(paths.sort()).toEqual(
      ['/stats', '/cache', '/health', '/policies', '/table', '/table/7', '/health'].sort(),
    );
  });

  it('a typed read of anything but 200 fails with the URL, the status and the refusal', async () => {
    const url = await serve(json(404, { error: 'SHADOWS_OFF', message: 'shadows are off' }));
    await expect(new ProxyAdmin(url).policies()).rejects.toMatchObject({
      name: 'AdminRequestError',
      status: 404,
      message: `${url}/policies answered HTTP 404: shadows are off`,
    });
    const bare = await serve(json(500, null));
    await expect(new ProxyAdmin(bare).stats()).rejects.toMatchObject({
      status: 500,
      message: `${bare}/stats answered HTTP 500`,
    });
  });

  it('configure PUTs the change as JSON with the token as a Bearer credential', async () => {
    const seen: { method?: string; url?: string; type?: string; auth?: string; body: string }[] =
      [];
    const url = await serve((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const { method, url: path, headers } = request;
        seen.push({
          method,
          url: path,
          type: headers['content-type'],
          auth: headers.authorization,
          body,
        });
        json(200, { policy: 'lru', capacity: 8, size: 0, evicted: [] })(request, response);
      });
    });
    const proxy = new ProxyAdmin(url);
    expect(await proxy.configure({ capacity: 8, eviction: 'lru' }, 'abc')).toEqual({
      policy: 'lru',
      capacity: 8,
      size: 0,
      evicted: [],
    });
    await proxy.configure({ capacity: 2 }, undefined);
    expect(seen).toEqual([
      {
        method: 'PUT',
        url: '/config',
        type: 'application/json',
        auth: 'Bearer abc',
        body: '{"capacity":8,"eviction":"lru"}',
      },
      {
        method: 'PUT',
        url: '/config',
        type: 'application/json',
        auth: undefined,
        body: '{"capacity":2}',
      },
    ]);
  });
});
