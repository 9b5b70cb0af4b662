export * from './capacity';
export * from './fencing';
export * from './restart-order';
