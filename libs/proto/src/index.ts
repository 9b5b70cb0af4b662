// @hvs/proto: the generated gRPC API (namespaced by package) and the converters
// between its messages and @hvs/domain types.
export * as v1 from './v1.js';
export * as agentv1 from './agentv1.js';
export * from './convert/enums.js';
export * from './convert/errors.js';
export * from './convert/meta.js';
export * from './convert/object.js';
export * from './convert/observed.js';
export * from './convert/plan.js';
export * from './grpc-errors.js';
export * from './server-stream.js';
export * from './proto-files.js';
