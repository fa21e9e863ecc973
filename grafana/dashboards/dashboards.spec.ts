import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DashboardJson, allPanels, dashboardProblems, panelQueries } from './inspect';
import { DASHBOARDS, DATASOURCE_UID, PROXY_JOB, SERVER_JOB, render } from './src';

const DIR = __dirname;
const GRAFANA = join(DIR, '..');
const read = (path: string): string => readFileSync(path, 'utf8');
const committed = (file: string): DashboardJson =>
  JSON.parse(read(join(DIR, file))) as DashboardJson;

describe('generated dashboards', () => {
  it.each(DASHBOARDS.map(({ file, build }) => [file, build] as const))(
    '%s is what `npm run dashboards` writes (regenerate after changing src/)',
    (file, build) => {
      expect(read(join(DIR, file))).toBe(render(build()));
    },
  );

  it('are the only dashboard files (no stale JSON left behind)', () => {
    const files = readdirSync(DIR).filter((name) => name.endsWith('.json'));
    expect(files.sort()).toEqual(DASHBOARDS.map(({ file }) => file).sort());
  });

  it('have distinct uids', () => {
    const uids = DASHBOARDS.map(({ file }) => committed(file).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});

describe.each(DASHBOARDS.map(({ file }) => [file]))('dashboard file %s', (file) => {
  it('is valid JSON with panels', () => {
    const dashboard = committed(file);
    expect(allPanels(dashboard).length).toBeGreaterThan(0);
  });

  it('has unique panel ids, and every target an expression on the provisioned datasource', () => {
    expect(dashboardProblems(committed(file), DATASOURCE_UID)).toEqual([]);
  });

  it('selects only the jobs of grafana/prometheus.yml', () => {
    const jobs = new Set(
      [...read(join(GRAFANA, 'prometheus.yml')).matchAll(/job_name:\s*(\S+)/g)].map((m) => m[1]),
    );
    const queries = panelQueries(committed(file));
    for (const { panel, expr } of queries) {
      const selected = [...expr.matchAll(/job="([^"]*)"/g)].map((m) => m[1]);
      expect({ panel, selected: selected.length > 0 }).toEqual({ panel, selected: true });
      for (const job of selected)
        expect({ panel, job, shipped: jobs.has(job) }).toEqual({ panel, job, shipped: true });
    }
  });
});

describe('dashboardProblems', () => {
  const good = committed('cache.json');
  // A deep copy with some things broken, to show each check can fail.
  const broken = JSON.parse(JSON.stringify(good)) as { panels: Record<string, unknown>[] };
  const [, first, second, third] = broken.panels as Array<{
    id: number;
    datasource: unknown;
    targets: Array<{ expr: string; datasource: unknown }>;
  }>;
  second.id = first.id;
  third.targets[0].expr = ' ';
  first.targets[0].datasource = { type: 'prometheus', uid: 'someone-else' };

  it('finds repeated ids, empty expressions and foreign datasources', () => {
    const problems = dashboardProblems(broken, DATASOURCE_UID);
    expect(problems).toEqual([
      expect.stringMatching(/target A uses datasource .*someone-else/),
      expect.stringMatching(/repeats id/),
      expect.stringMatching(/target A has no expression/),
    ]);
  });

  it('finds targets on another datasource than the one asked for', () => {
    expect(dashboardProblems(good, 'other-uid').length).toBeGreaterThan(0);
  });
});

describe('provisioning', () => {
  it('provisions the Prometheus datasource every target uses', () => {
    const yaml = read(join(GRAFANA, 'provisioning/datasources/prometheus.yaml'));
    expect(yaml).toMatch(new RegExp(`^\\s+uid: ${DATASOURCE_UID}$`, 'm'));
    expect(yaml).toMatch(/^\s+type: prometheus$/m);
    expect(yaml).toMatch(/^\s+url: http:\/\/127\.0\.0\.1:9090$/m);
  });

  it('loads dashboards from files', () => {
    const yaml = read(join(GRAFANA, 'provisioning/dashboards/semicache.yaml'));
    expect(yaml).toMatch(/^\s+type: file$/m);
    expect(yaml).toMatch(/^\s+path: \$\{SEMICACHE_DASHBOARDS\}$/m);
  });

  it('scrapes the admin ports of npm start and npm run cluster under the jobs the dashboards select', () => {
    const config = read(join(GRAFANA, 'prometheus.yml'));
    const targets = (ports: number[]) =>
      `\\[${ports.map((port) => `'127\\.0\\.0\\.1:${port}'`).join(', ')}\\]`;
    expect(config).toMatch(
      new RegExp(
        `job_name: ${PROXY_JOB}\\s+metrics_path: /metrics\\s+static_configs:\\s+- targets: ${targets([9001, 9011, 9021])}`,
      ),
    );
    expect(config).toMatch(
      new RegExp(
        `job_name: ${SERVER_JOB}\\s+metrics_path: /metrics\\s+static_configs:\\s+- targets: ${targets([9002, 9012])}`,
      ),
    );
  });
});
