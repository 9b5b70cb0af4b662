export * from './principal';
export * from './roles';
export * from './errors';
export * from './authorize';
