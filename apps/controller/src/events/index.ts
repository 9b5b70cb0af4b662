export * from './event-record';
export * from './event-recorder';
export * from './events.module';
