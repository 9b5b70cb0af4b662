export * from './errors';
export * from './labels';
