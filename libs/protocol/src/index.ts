export * from './errors';
export * from './messages';
export * from './int64';
export * from './frame-decoder';
export * from './parser';
export * from './serializer';
export * from './validate';
