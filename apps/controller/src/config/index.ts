export { FIELDS, formatListen, LOG_LEVELS, parseListen, type FieldInfo, type ListenAddress, type LogLevel } from './fields';
export { checkDataDir, ControllerConfig, loadConfig, maskUrlPassword } from './load-config';
export { readEtcdCredentials, type EtcdCredentials } from './etcd-tls';
