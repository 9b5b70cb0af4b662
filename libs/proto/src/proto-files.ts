import * as path from 'node:path';

/**
 * Where the .proto sources live (libs/proto/proto), from src/ under jest and
 * from dist/ at run time alike. The codec never reads them (ts-proto generated
 * it); gRPC server reflection does: load them with @grpc/proto-loader and hand
 * the package definition to @grpc/reflection.
 */
export const PROTO_ROOT = path.resolve(__dirname, '..', 'proto');

/** Every API file, relative to PROTO_ROOT (a test keeps it equal to the folder). */
export const PROTO_FILES: readonly string[] = [
  'hvs/agent/v1/agent.proto',
  'hvs/v1/admin.proto',
  'hvs/v1/audit.proto',
  'hvs/v1/errors.proto',
  'hvs/v1/event.proto',
  'hvs/v1/host.proto',
  'hvs/v1/identity.proto',
  'hvs/v1/image.proto',
  'hvs/v1/node.proto',
  'hvs/v1/object.proto',
  'hvs/v1/resource.proto',
  'hvs/v1/vm.proto',
];
