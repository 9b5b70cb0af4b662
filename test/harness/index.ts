// The shared test harness: real services on free loopback ports, always cleaned up.
export * from './binaries';
export * from './etcd';
export * from './processes';
export * from './redis';
export * from './netns';
export * from './two-hosts';
export * from './switch';
