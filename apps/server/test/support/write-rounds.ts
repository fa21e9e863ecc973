import { connectTo } from '../../../../test/support/line-client';
import type { RunningApp } from '../../../../test/support/processes';

/**
 * `writers` connections, each the only writer of its own indices (i % writers === w) of a table
 * of `size`, each pipelining one PUT per index per round. Returns the last acknowledged value of
 * every index.
 */
export async function writeRounds(
  server: RunningApp,
  size: number,
  writers: number,
  rounds: number,
): Promise<Map<number, string>> {
  const acknowledged = new Map<number, string>();
  const connections = await Promise.all(
    Array.from({ length: writers }, () => connectTo(server.protocol)),
  );
  await Promise.all(
    connections.map(async (connection, w) => {
      for (let round = 1; round <= rounds; round++) {
        const puts: Promise<void>[] = [];
        for (let i = w; i < size; i += writers) {
          const value = String((round * 1_000_003 + i * 7919) * (i % 2 === 0 ? 1 : -1));
          puts.push(
            connection.send(`OP=PUT;IND=${i};DATA=${value};`).then((reply) => {
              expect(reply).toBe(`OP=PUT;IND=${i};DATA=${value};`);
              acknowledged.set(i, value);
            }),
          );
        }
        await Promise.all(puts);
      }
    }),
  );
  return acknowledged;
}
