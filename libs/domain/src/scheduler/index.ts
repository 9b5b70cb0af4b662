export * from './filters';
export { ClusterSnapshot, DEFAULT_CPU_OVERCOMMIT, DEFAULT_MEMORY_OVERCOMMIT, nodeView } from './snapshot';
export { formatUnschedulable, schedule, unschedulableError } from './schedule';
export * from './scorers';
export { DEFAULT_POOL, placementOf, schedulingRequest, vmResources } from './request';
export type * from './types';
