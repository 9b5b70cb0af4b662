/**
 * The settings that give the controller's etcd client TLS credentials (client certificate
 * authentication, as the etcd of `hvctl up` requires: docs/architecture/etcd-auth.md). Paths
 * only: the key never travels through the environment or argv. Unset, the client connects as
 * before (plain http://, or https:// trusting the system CAs).
 */
import { z } from 'zod';

const absolutePath = z.string().refine((s) => s.startsWith('/') && !s.includes('\0')).optional();

export const ETCD_TLS_FIELDS = [
  { key: 'etcdCaFile', fileKey: 'etcdCaFile', env: 'HVS_ETCD_CA_FILE', field: 'ETCD-CA-FILE', defaultText: 'unset',
    expected: "an absolute path to the PEM certificate of the CA that signed etcd's server certificate", example: '/etc/hvs/etcd/ca.crt', schema: absolutePath },
  { key: 'etcdCertFile', fileKey: 'etcdCertFile', env: 'HVS_ETCD_CERT_FILE', field: 'ETCD-CERT-FILE', defaultText: 'unset',
    expected: "an absolute path to the controller's PEM client certificate for etcd (with HVS_ETCD_KEY_FILE)", example: '/etc/hvs/etcd/controller.crt', schema: absolutePath },
  { key: 'etcdKeyFile', fileKey: 'etcdKeyFile', env: 'HVS_ETCD_KEY_FILE', field: 'ETCD-KEY-FILE', defaultText: 'unset',
    expected: 'an absolute path to the PEM private key of HVS_ETCD_CERT_FILE, mode 0600', example: '/etc/hvs/etcd/controller.key', schema: absolutePath },
] as const;
