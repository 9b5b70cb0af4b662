// The cluster CA, join tokens and mTLS credentials (docs/security.md). What the agent shares
// (names, key files, certificate facts, credentials, token format) lives in @hvs/pki and is
// re-exported here so the controller's code has one place to import PKI from.
export * from '@hvs/pki';
export * from './certificate-cleanup';
export * from './certificate-store';
export * from './cluster-ca';
export * from './cluster-pki';
export * from './errors';
export * from './join-tokens';
export * from './node-certificates';
export * from './token-repository';
export * from './token-secrets';
