export * from './backoff';
export * from './clock';
export * from './result';
export * from './runner';
export * from './work-queue';
