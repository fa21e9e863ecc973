import { ServerAdmin } from '@semicache/client';
import type { RunningApp } from './processes';

/** The server's whole table as strings, by index (from its admin API, not through the protocol). */
export async function tableValues(server: RunningApp): Promise<string[]> {
  return (await new ServerAdmin(server.admin).table()).entries.map((entry) => entry.value);
}
