export * from './protocol-connection';
export * from './admin-api';
export * from './admin-client';
export * from './events-api';
export * from './event-stream';
export * from './seeded-random';
export * from './decision-groups';
