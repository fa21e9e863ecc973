// The "Server" dashboard: the table server's protocol listener and its process.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelIds, SERVER_JOB, dashboard } from './common';
import { connectionPanels, processPanels, requestPanels } from './shared-rows';

export function serverDashboard(): Dashboard {
  const ids = new PanelIds();
  let builder = dashboard(
    'semicache-server',
    'semicache / Server',
    'The semicache server: requests it answers (mostly from the proxy), connections, errors, CPU and memory.',
  );
  builder = requestPanels(builder, ids, SERVER_JOB, 'answered by the server');
  builder = connectionPanels(builder, ids, SERVER_JOB);
  builder = processPanels(builder, ids, SERVER_JOB);
  return builder.build();
}
