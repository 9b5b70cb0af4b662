export * from './errors';
export * from './labels';
export * from './kinds';
export * from './units';
export * from './validation/cron';
export * from './validation/formats';
export * from './xml';
export * from './planning';
