export * from './placement-index';
export * from './vm-schedule.reconciler';
