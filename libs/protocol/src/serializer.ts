import type { ProtocolError } from './errors';
import type { ErrorReply, Reply, Request } from './messages';

function list(items: readonly (number | bigint)[]): string {
  return items.join(',');
}

/** Writes a request in canonical form (no line terminator). */
export function serializeRequest(request: Request): string {
  switch (request.op) {
    case 'GET':
    case 'ADD':
      return `OP=${request.op};IND=${list(request.indices)};`;
    case 'PUT':
      return `OP=PUT;IND=${list(request.indices)};DATA=${list(request.values)};`;
    case 'CLR':
      return 'OP=CLR;';
  }
}

/** Writes a reply in canonical form (no line terminator): OP first, upper case, every field ended by `;`. */
export function serializeReply(reply: Reply): string {
  switch (reply.op) {
    case 'GET':
    case 'PUT':
      return `OP=${reply.op};IND=${list(reply.indices)};DATA=${list(reply.values)};`;
    case 'ADD':
      return `OP=ADD;IND=${list(reply.indices)};DATA=${reply.sum};`;
    case 'CLR':
      return 'OP=CLR;';
    case 'ERR':
      return reply.message === ''
        ? `OP=ERR;CODE=${reply.code};`
        : `OP=ERR;CODE=${reply.code};MSG=${reply.message};`;
  }
}

export function errorReply(error: ProtocolError): ErrorReply {
  return { op: 'ERR', code: error.code, message: error.message };
}
