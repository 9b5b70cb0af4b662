export * from './agent-connection';
