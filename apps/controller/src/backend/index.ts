export * from './etcd-backend';
export * from './backend.module';
