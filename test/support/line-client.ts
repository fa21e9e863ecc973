import { ProtocolConnection } from '@semicache/client';
import type { Endpoint } from './processes';

const open = new Set<ProtocolConnection>();

/** A real TCP connection to a server or proxy; closed by `closeAllConnections`. */
export async function connectTo(endpoint: Endpoint): Promise<ProtocolConnection> {
  const connection = await ProtocolConnection.open(endpoint.host, endpoint.port, 5000);
  open.add(connection);
  void connection.whenClosed().then(() => open.delete(connection));
  return connection;
}

export function closeAllConnections(): void {
  for (const connection of open) connection.close();
  open.clear();
}
