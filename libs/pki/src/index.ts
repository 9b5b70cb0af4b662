// Cluster PKI shared by controller and agent (docs/security.md): certificate names, key and
// certificate files, certificate facts, mTLS credentials, the join token format, x509 setup.
export * from './certificates';
export * from './credentials';
export * from './errors';
export * from './files';
export * from './join-token';
export * from './names';
export * from './x509';
