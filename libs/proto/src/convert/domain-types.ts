// The domain shapes the converters speak, in one place.
export { API_VERSION, KIND_NAMES, isKindName } from '@hvs/domain';
export type { KindName, NodeStatus, ObjectMeta, Resource, VirtualMachineStatus } from '@hvs/domain';
