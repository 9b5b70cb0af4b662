/** Injection tokens for the interfaces the services depend on (classes are their own tokens). */
export const OBJECT_STORE = Symbol.for('hvs.ObjectStore');
export const NODE_HEARTBEATS = Symbol.for('hvs.NodeHeartbeats');
