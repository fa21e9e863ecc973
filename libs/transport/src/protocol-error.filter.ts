import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { ProtocolError } from '@semicache/protocol';
import { type Observable, throwError } from 'rxjs';

/**
 * Lets a `ProtocolError` thrown by a handler reach the transport unchanged, so it becomes an
 * `OP=ERR` reply with its own code (Nest's default filter would turn it into a generic error).
 */
@Catch(ProtocolError)
export class ProtocolErrorFilter implements RpcExceptionFilter<ProtocolError> {
  catch(error: ProtocolError): Observable<never> {
    return throwError(() => error);
  }
}
