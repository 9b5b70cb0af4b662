export * from './catalog';
export * from './cron';
export * from './formats';
export { formatPath, quote, type PathSeg } from './problem';
export { checkSafety, FORBIDDEN_KEYS, MAX_DEPTH, MAX_VALUES } from './safety';
export * from './validate';
