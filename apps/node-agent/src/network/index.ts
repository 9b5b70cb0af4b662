export type { NetworkDriver, Realised } from './driver';
export { HostNetworkDriver } from './host-driver';
export { SimulatedNetworkDriver, SIMULATED_MESSAGE } from './simulated-driver';
export { NetworkReconciler } from './network-reconciler';
export { networkPrerequisite } from './network-prerequisite';
export { bridgeName, vxlanName, ownerAlias, gatewayMac } from './naming';
export { planNetwork, networkDir, type NetworkPlan } from './plan';
export { renderNftRuleset } from './nft-ruleset';
