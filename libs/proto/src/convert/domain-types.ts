// The domain shapes the converters speak. Placeholder structural copies of
// libs/domain/src/kinds/meta.ts until @hvs/domain exports them.
export interface ObjectMeta {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}
export const API_VERSION = 'hvs/v1' as const;
export const KIND_NAMES = [
  'VirtualMachine', 'Node', 'Network', 'FirewallPolicy', 'Image',
  'StoragePool', 'BackupPolicy', 'Backup', 'Snapshot', 'Migration',
] as const;
export type KindName = (typeof KIND_NAMES)[number];
export interface Resource<K extends string, S, St> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}
