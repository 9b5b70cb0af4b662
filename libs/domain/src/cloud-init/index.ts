export * from './input';
export { renderCloudInitSeed } from './seed';
export { cloudInitNics } from './seed-nics';
export { renderNetworkConfig } from './network-config';
export { guestSecretFiles, renderUserData } from './user-data';
