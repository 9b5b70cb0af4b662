export { ApiModule, API_MODULES, API_PREFIX } from './api.module';
export { AppModule, type AppOptions } from './app.module';
export { configureApp, createApp, healthAddress, httpEdgePolicy, listeningAddress, MAX_REQUEST_BYTES } from './create-app';
export { certificateNames } from './http-tls';
export { errorLines, processIo, runController, SHUTDOWN_DEADLINE_MS, type ProcessIo, type RunningController } from './run';
