export * from './capacity-gauge';
export * from './ha-config';
export * from './ha-rescheduler';
