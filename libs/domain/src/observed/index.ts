export * from './vm-observed';
