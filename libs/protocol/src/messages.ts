import type { ErrorCode } from './errors';

export const OPS = ['GET', 'PUT', 'CLR', 'ADD'] as const;
export type Op = (typeof OPS)[number];

export interface GetRequest {
  readonly op: 'GET';
  readonly indices: readonly number[];
}
export interface PutRequest {
  readonly op: 'PUT';
  readonly indices: readonly number[];
  readonly values: readonly bigint[];
}
export interface ClrRequest {
  readonly op: 'CLR';
}
export interface AddRequest {
  readonly op: 'ADD';
  readonly indices: readonly number[];
}
export type Request = GetRequest | PutRequest | ClrRequest | AddRequest;

export interface GetReply {
  readonly op: 'GET';
  readonly indices: readonly number[];
  readonly values: readonly bigint[];
}
export interface PutReply {
  readonly op: 'PUT';
  readonly indices: readonly number[];
  readonly values: readonly bigint[];
}
export interface ClrReply {
  readonly op: 'CLR';
}
export interface AddReply {
  readonly op: 'ADD';
  readonly indices: readonly number[];
  readonly sum: bigint;
}
export interface ErrorReply {
  readonly op: 'ERR';
  readonly code: ErrorCode;
  readonly message: string;
}
export type SuccessReply = GetReply | PutReply | ClrReply | AddReply;
export type Reply = SuccessReply | ErrorReply;

/** Maps each request to the reply it is answered with. */
export interface ReplyFor {
  GET: GetReply;
  PUT: PutReply;
  CLR: ClrReply;
  ADD: AddReply;
}
