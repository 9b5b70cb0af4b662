export * from './event-record';
export * from './event-recorder';
export * from './event.service';
export * from './events.module';
