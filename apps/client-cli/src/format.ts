import type { Reply } from '@semicache/protocol';

/** A reply as JSON for scripts; int64 values as strings, since JSON numbers cannot hold them all. */
export function replyJson(reply: Reply): Record<string, unknown> {
  switch (reply.op) {
    case 'GET':
    case 'PUT':
      return { op: reply.op, indices: reply.indices, values: reply.values.map(String) };
    case 'ADD':
      return { op: 'ADD', indices: reply.indices, sum: String(reply.sum) };
    case 'CLR':
      return { op: 'CLR' };
    case 'ERR':
      return { op: 'ERR', code: reply.code, message: reply.message };
  }
}

/** Right-aligned columns under a header, as a small table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padStart(widths[column])).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** A reply for a person. */
export function replyText(reply: Reply): string {
  switch (reply.op) {
    case 'GET':
      return table(
        ['index', 'value'],
        reply.indices.map((index, i) => [String(index), String(reply.values[i])]),
      );
    case 'PUT':
      return `stored ${reply.indices.map((index, i) => `${index}=${reply.values[i]}`).join(' ')}`;
    case 'ADD':
      return `sum of ${reply.indices.join(' + ')} = ${reply.sum}`;
    case 'CLR':
      return 'cleared the table and the cache';
    case 'ERR':
      return `error ${reply.code}: ${reply.message}`;
  }
}
