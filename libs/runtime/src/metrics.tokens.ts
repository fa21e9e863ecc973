/** Token of the app's own prom-client registry (never the global default one). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
