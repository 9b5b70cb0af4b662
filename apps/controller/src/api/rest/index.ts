export * from './audit.controller';
export * from './events.controller';
export * from './openapi';
export * from './openapi.controller';
export * from './request-body';
export * from './resource.controller';
export * from './rest-api.module';
export * from './vm.controller';
