export * from './options';
export * from './host-port';
export * from './metrics.tokens';
export * from './metrics.module';
export * from './transport-metrics';
export * from './hot-path-metrics';
export * from './launch';
export * from './logging';
