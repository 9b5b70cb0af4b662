// This host's cluster identity: key, CSR, join, renewal, mTLS credentials (docs/security.md).
export * from './agent-identity';
export * from './ca-discovery';
export * from './caller';
export * from './certificates';
export * from './credentials';
export * from './errors';
export * from './join';
export * from './names';
