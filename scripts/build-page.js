// Bundles the admin page (apps/page) into dist/page/<app>/: index.html, page.js and page.css, one
// folder per app, served by that app's admin port. Everything the page loads is in its folder:
// it works without a network.
const { build } = require('esbuild');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const APPS = ['proxy', 'server'];

function html(app) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>semicache ${app}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="page.css" />
  </head>
  <body>
    <div id="page"></div>
    <script src="page.js"></script>
  </body>
</html>
`;
}

async function main() {
  await Promise.all(
    APPS.map(async (app) => {
      const outdir = join(ROOT, 'dist', 'page', app);
      mkdirSync(outdir, { recursive: true });
      await build({
        entryPoints: {
          page: join(ROOT, 'apps', 'page', 'src', `${app}.tsx`),
        },
        bundle: true,
        minify: true,
        sourcemap: true,
        format: 'iife',
        target: ['chrome110', 'firefox110', 'safari16'],
        tsconfig: join(ROOT, 'apps', 'page', 'tsconfig.json'),
        outdir,
        logLevel: 'warning',
      });
      // The stylesheet: one for both apps, with uPlot's.
      await build({
        entryPoints: { page: join(ROOT, 'apps', 'page', 'src', 'page.css') },
        bundle: true,
        minify: true,
        outdir,
        logLevel: 'warning',
      });
      writeFileSync(join(outdir, 'index.html'), html(app));
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
