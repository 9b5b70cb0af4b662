export * from './conditions';
export * from './control-loops';
export * from './informer';
export * from './node-lifecycle.reconciler';
export * from './placement-index';
export * from './vm-schedule.reconciler';
export * from './status-batcher';
