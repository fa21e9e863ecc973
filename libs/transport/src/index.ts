export * from './protocol-socket';
export * from './semicolon-server';
export * from './semicolon-context';
export * from './semicolon-client';
export * from './protocol-error.filter';
export * from './transport-observer';
export * from './throttle';
export * from './upstream-log';
