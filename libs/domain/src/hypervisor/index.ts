export * from './choice';
