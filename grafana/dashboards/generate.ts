// Writes every dashboard of src/ into grafana/dashboards/*.json. Run by `npm run dashboards`;
// dashboards.spec.ts fails when the committed files differ from what this would write.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, render } from './src';

for (const { file, build } of DASHBOARDS) {
  const path = join(__dirname, file);
  writeFileSync(path, render(build()));
  process.stdout.write(`wrote ${path}\n`);
}
