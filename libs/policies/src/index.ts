export * from './eviction-policy';
export * from './queue-policies';
export * from './lfu-policy';
export * from './arc-policy';
export * from './create-policy';
export * from './key-cache';
export * from './shadow-bank';
