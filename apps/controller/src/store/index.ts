export * from './errors';
export * from './etcd-connection';
export * from './etcd-store';
export * from './etcd-watch';
export * from './event-queue';
export * from './memory-store';
export * from './objects';
export * from './types';
