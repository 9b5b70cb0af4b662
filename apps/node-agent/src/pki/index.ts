// This host's cluster identity: key, CSR, join, renewal, mTLS credentials (docs/security.md).
// What the controller shares (names, key files, certificate facts, credentials, token format)
// lives in @hvs/pki and is re-exported here so the agent's code has one place to import PKI from.
export * from '@hvs/pki';
export * from './agent-identity';
export * from './ca-discovery';
export * from './caller';
export * from './errors';
export * from './join';
