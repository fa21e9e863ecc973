// Every dashboard, with the file it is generated into (beside this folder's parent).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { cacheDashboard } from './cache';
import { serverDashboard } from './server';

export { DATASOURCE_UID, PROXY_JOB, SERVER_JOB } from './common';

export interface DashboardFile {
  /** File name under grafana/dashboards/. */
  readonly file: string;
  readonly build: () => Dashboard;
}

export const DASHBOARDS: readonly DashboardFile[] = [
  { file: 'cache.json', build: cacheDashboard },
  { file: 'server.json', build: serverDashboard },
];

/** The committed text of a dashboard: two-space JSON and a final line feed. */
export function render(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
