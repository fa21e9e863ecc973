import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { makeTempDir } from './temp-dirs';

/** The browser the page tests drive: `$SEMICACHE_CHROMIUM`, else Debian's `/usr/bin/chromium`, else `chromium` on PATH. */
export function chromiumPath(): string {
  const wanted = process.env.SEMICACHE_CHROMIUM;
  if (wanted !== undefined && wanted !== '') {
    if (!existsSync(wanted)) throw new Error(`SEMICACHE_CHROMIUM=${wanted}: no such file`);
    return wanted;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  throw new Error(
    'no Chromium for the page tests: install it (apt-get install chromium, as .ci/run does) or set SEMICACHE_CHROMIUM to its path',
  );
}

/** Headless Chromium with a fresh profile, nothing of its own going to the network. */
export async function launchBrowser(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(makeTempDir('semicache-chromium-'), {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Containers often give /dev/shm 64 MB, too little for Chromium's shared memory.
      '--disable-dev-shm-usage',
    ],
  });
}

// The page functions below run in the browser, where `document` is; the tests compile without
// the DOM's types.
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }>;
};

const normalised = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

/**
 * Waits (Playwright polling the page) until the elements that match `selector` show `expected`,
 * in order, then asserts that they do: on a timeout the assertion shows what the page shows.
 */
export async function expectShown(
  page: Page,
  selector: string,
  expected: readonly string[],
  timeoutMs = 10_000,
): Promise<void> {
  await page
    .waitForFunction(
      (wanted) => {
        const shown = Array.from(document.querySelectorAll(wanted.selector), (element) =>
          (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
        );
        return (
          shown.length === wanted.expected.length &&
          shown.every((text, position) => text === wanted.expected[position])
        );
      },
      { selector, expected },
      { timeout: timeoutMs, polling: 50 },
    )
    // A timeout is not the verdict: the assertion below is, with the texts the page shows.
    .catch(() => undefined);
  const shown = (await page.locator(selector).allTextContents()).map(normalised);
  expect({ selector, shown }).toEqual({ selector, shown: expected });
}
