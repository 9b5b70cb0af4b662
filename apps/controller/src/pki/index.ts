// The cluster CA, join tokens and mTLS credentials (docs/security.md).
export * from './certificates';
export * from './cluster-ca';
export * from './credentials';
export * from './errors';
export * from './join-tokens';
export * from './names';
export * from './token-format';
export * from './token-repository';
