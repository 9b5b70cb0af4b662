export * from './node-lifecycle.reconciler';
