export * from './conditions';
export * from './informer';
export * from './status-batcher';
