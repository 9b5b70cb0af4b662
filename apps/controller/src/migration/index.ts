export * from './assignment-view';
export * from './drain.service';
export * from './migration.reconciler';
export * from './migration.service';
