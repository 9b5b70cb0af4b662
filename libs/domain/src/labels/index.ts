export * from './selector';
