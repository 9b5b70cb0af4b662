export * from './assignment-view';
export * from './dirty-rate-probe';
export * from './drain.service';
export * from './migration-metrics';
export * from './migration.reconciler';
export * from './migration.service';
