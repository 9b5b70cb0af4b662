export * from './deletion.reconciler';
export * from './vm-host-cleanup';
