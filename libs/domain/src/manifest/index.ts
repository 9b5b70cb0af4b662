export * from './load';
export * from './parse';
