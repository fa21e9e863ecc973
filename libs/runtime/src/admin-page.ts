import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package's root: the nearest folder up from here with a package.json (this file runs from
 * dist/apps/<app>/libs/runtime/src once built, from libs/runtime/src under the tests).
 */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` bundles the app's admin page (scripts/build-page.js). */
export function adminPageDirectory(app: 'server' | 'proxy'): string {
  return join(packageRoot(), 'dist', 'page', app);
}

/**
 * Serves the app's live page on its admin port: `GET /` and the files beside it (no wildcard
 * route: the admin API's own routes stay as they are, an unknown path stays a 404). Returns false,
 * serving nothing, when the page was not built.
 */
export function serveAdminPage(app: NestFastifyApplication, name: 'server' | 'proxy'): boolean {
  const root = adminPageDirectory(name);
  if (!existsSync(join(root, 'index.html'))) return false;
  app.useStaticAssets({ root, prefix: '/', wildcard: false });
  return true;
}
