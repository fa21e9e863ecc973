// The "Server" dashboard: the table server's protocol listener and its process.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelIds, SERVER_JOB, dashboard } from './common';
import { connectionPanels, eventPanels, processPanels, requestPanels } from './shared-rows';

export function serverDashboard(): Dashboard {
  const ids = new PanelIds();
  let builder = dashboard(
    'semicache-server',
    'semicache / Server',
    'The semicache server: requests it answers (mostly from the proxy), connections, errors, CPU and memory.',
  );
  builder = requestPanels(
    builder,
    ids,
    SERVER_JOB,
    'answered by the server',
    'table (answered from memory at once) or store (waited for the store: a write made durable, or a read held behind one)',
  );
  builder = connectionPanels(builder, ids, SERVER_JOB);
  builder = eventPanels(builder, ids, SERVER_JOB);
  builder = processPanels(builder, ids, SERVER_JOB);
  return builder.build();
}
