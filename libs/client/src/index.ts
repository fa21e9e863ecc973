export * from './protocol-connection';
export * from './admin-api';
export * from './admin-client';
export * from './seeded-random';
