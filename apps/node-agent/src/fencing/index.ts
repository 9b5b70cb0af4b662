export * from './fence-state';
export * from './peer-client';
export * from './self-fencing';
export * from './start-gate';
