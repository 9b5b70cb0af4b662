export * from './cron';
export * from './formats';
