export { FIELDS, formatListen, HTTP_TLS_MODES, LOG_LEVELS, parseListen, type FieldInfo, type HttpTlsMode, type ListenAddress, type LogLevel } from './fields';
export { isLoopbackHost, servesTls } from './http-edge';
export { checkDataDir, ControllerConfig, loadConfig, maskUrlPassword } from './load-config';
export { readEtcdCredentials, type EtcdCredentials } from './etcd-tls';
