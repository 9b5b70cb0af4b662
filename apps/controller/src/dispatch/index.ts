export * from './assignment';
export * from './dispatcher';
export * from './observed-status';
