export * from './kinds';
export * from './event-record';
export * from './event-json';
export * from './event-log';
export * from './event-filter';
export * from './event-stream';
export * from './slow-request';
