export * from './assignment';
export * from './dispatcher';
export * from './observed-status';
export * from './cleanup-reports';
export * from './network-status';
