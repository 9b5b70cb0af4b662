export * from './allocate';
export * from './apply-admission';
export * from './errors';
export * from './ipv4';
export * from './network-admission';
export * from './network-in-use';
export * from './references';
export * from './reservation-keys';
