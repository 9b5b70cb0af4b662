export * from './drain-plan';
export * from './estimate';
export * from './movability';
export * from './reservation';
export * from './bandwidth';
