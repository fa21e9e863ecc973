// The live page of each admin port (`GET /`), in a real headless Chromium against a real server
// and proxy: what it shows after a known sequence of requests over the protocol.
import type { ProtocolConnection } from '@semicache/client';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expectShown, launchBrowser } from './support/browser';
import { closeAllConnections, connectTo } from './support/line-client';
import { ROOT, type Stack, startStack, stopAll } from './support/processes';
import { removeTempDirs } from './support/temp-dirs';

jest.setTimeout(60_000);

/** Where the test leaves its screenshots (docs/live-page.png is a copy of the proxy's). */
const SCREENSHOTS = join(ROOT, 'dist', 'screenshots');

let stack: Stack;
let browser: BrowserContext;
let client: ProtocolConnection;

beforeAll(async () => {
  stack = await startStack({ proxyArgs: ['--capacity', '5', '--eviction', 'fifo'] });
  browser = await launchBrowser();
  client = await connectTo(stack.proxy.protocol);
});

afterAll(async () => {
  closeAllConnections();
  await browser?.close();
  await stopAll();
  removeTempDirs();
});

/** Opens an admin page and waits until it follows the app's events. */
async function open(admin: string): Promise<Page> {
  const page = await browser.newPage();
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));
  await page.goto(`${admin}/`);
  await page
    .getByTestId('status')
    .filter({ hasText: /^live$/ })
    .waitFor();
  expect(failures).toEqual([]);
  return page;
}

async function send(message: string): Promise<string> {
  return (await client.send(message)).trimEnd();
}

describe('the proxy page', () => {
  let page: Page;

  beforeAll(async () => {
    page = await open(stack.proxy.admin);
  });

  it('loads everything from the admin port itself', async () => {
    const origin = new URL(stack.proxy.admin).origin;
    const loaded = await page.evaluate<string[]>(
      'performance.getEntriesByType("resource").map((entry) => entry.name)',
    );
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });

  it('shows six distinct GETs into five FIFO slots as they happen: the slots, the eviction, the heat', async () => {
    for (const index of [1, 2, 3, 4, 5, 6]) {
      expect(await send(`OP=GET;IND=${index};`)).toBe(`OP=GET;IND=${index};DATA=0;`);
    }
    // The oldest, 1, made room for 6: the slots in eviction order, the next to go marked.
    await expectShown(page, '[data-testid=slot] .slot-index', ['2', '3', '4', '5', '6']);
    await expectShown(page, '[data-testid=slot][data-victim] .slot-index', ['2']);
    await expectShown(page, '[data-testid=last-evicted-index]', ['1']);
    // The decisions, newest first: the sixth GET missed, evicted 1 by FIFO's rule and stored 6.
    await expectShown(page, '[data-testid=event] .op', Array(6).fill('GET'));
    await expectShown(page, '[data-testid=event]:first-child [data-kind] b', [
      'MISS',
      'EVICT',
      'STORE',
    ]);
    const eviction = await page
      .locator('[data-testid=event]:first-child [data-kind=evicted]')
      .textContent();
    expect(eviction).toMatch(/^EVICT 1 oldest, [\d.]+ m?s$/);
    // Heat: lookups, hits, misses, writes, evictions of an index.
    await expectShown(page, '[data-testid=heat-row][data-index="1"] [data-field]', [
      '1',
      '0',
      '1',
      '0',
      '1',
    ]);
    await expectShown(page, '[data-testid=heat-row][data-index="6"] [data-field]', [
      '1',
      '0',
      '1',
      '0',
      '0',
    ]);
  });

  it('counts a hit where it lands: heat, hit ratio, and FIFO keeps the order', async () => {
    expect(await send('OP=GET;IND=3;')).toBe('OP=GET;IND=3;DATA=0;');
    await expectShown(page, '[data-testid=heat-row][data-index="3"] [data-field]', [
      '2',
      '1',
      '1',
      '0',
      '0',
    ]);
    await expectShown(page, '[data-testid=event]:first-child [data-kind]', ['HIT 3']);
    // 1 hit in 7 lookups this minute.
    await expectShown(page, '[data-testid=minute-ratio] b', ['14%']);
    await expectShown(page, '[data-testid=slot] .slot-index', ['2', '3', '4', '5', '6']);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'proxy-page.png'), fullPage: true });
  });
});

describe('the server page', () => {
  it('highlights the latest writes, the one already made and the one made while it is open', async () => {
    expect(await send('OP=PUT;IND=3;DATA=42;')).toBe('OP=PUT;IND=3;DATA=42;');
    const page = await open(stack.server.admin);
    await expectShown(page, '[data-testid=cell][data-written=latest] .cell-index', ['3']);
    await expectShown(page, '[data-testid=cell][data-written=latest] .cell-value', ['42']);

    expect(await send('OP=PUT;IND=7;DATA=9;')).toBe('OP=PUT;IND=7;DATA=9;');
    await expectShown(page, '[data-testid=cell][data-written=latest] .cell-index', ['7']);
    await expectShown(page, '[data-testid=cell][data-written=latest] .cell-value', ['9']);
    await expectShown(page, '[data-testid=cell][data-written=recent] .cell-index', ['3']);
    // The latest writes, newest first.
    await expectShown(page, '[data-testid=write] .write-entry', ['7 = 9', '3 = 42']);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'server-page.png'), fullPage: true });
  });
});
