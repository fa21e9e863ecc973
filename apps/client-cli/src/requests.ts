import { ProtocolError, type Request, parseRequest } from '@semicache/protocol';
import { CliError, EXIT } from './session';

/**
 * Builds a request from command words and checks it with the same parser the server uses, so
 * `put 1=x` is refused here with the protocol's own message.
 */
function checked(text: string): Request {
  try {
    return parseRequest(text);
  } catch (error) {
    if (error instanceof ProtocolError)
      throw new CliError(`${error.code}: ${error.message}`, EXIT.usage);
    throw error;
  }
}

export function getRequest(indices: readonly string[]): Request {
  return checked(`OP=GET;IND=${indices.join(',')};`);
}

export function addRequest(indices: readonly string[]): Request {
  return checked(`OP=ADD;IND=${indices.join(',')};`);
}

export function putRequest(pairs: readonly string[]): Request {
  const indices: string[] = [];
  const values: string[] = [];
  for (const pair of pairs) {
    const match = /^([^=]+)=(.+)$/.exec(pair);
    if (!match) throw new CliError(`"${pair}" is not INDEX=VALUE (for example 1=10)`, EXIT.usage);
    indices.push(match[1]);
    values.push(match[2]);
  }
  return checked(`OP=PUT;IND=${indices.join(',')};DATA=${values.join(',')};`);
}

export function clrRequest(): Request {
  return { op: 'CLR' };
}
