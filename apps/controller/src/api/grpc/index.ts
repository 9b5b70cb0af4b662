export * from './audit.grpc';
export * from './events.grpc';
export * from './grpc-api.module';
export * from './grpc-call';
export * from './grpc-server';
export * from './node.grpc';
export * from './resource.grpc';
export * from './vm.grpc';
