export * from './catalog';
export { formatPath, quote, type PathSeg } from './problem';
export { checkSafety, FORBIDDEN_KEYS, MAX_DEPTH, MAX_VALUES } from './safety';
export * from './validate';
