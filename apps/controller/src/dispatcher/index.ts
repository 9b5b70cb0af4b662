export * from './agent-connection';
export * from './assignment';
export * from './dispatcher';
export * from './observed-status';
