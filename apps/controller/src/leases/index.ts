export * from './etcd-lease';
export * from './node-leases';
