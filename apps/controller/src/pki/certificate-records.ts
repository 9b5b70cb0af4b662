/**
 * What the CA issued to each node, for `hvctl diagnose` (expiry) and audits: one record per
 * node at `/hvs/v1/pki/certificates/<node>`, replaced at every join and renewal. Public facts
 * only (subject, validity, fingerprint), never a key.
 */
import { X509Certificate } from 'node:crypto';
import { fingerprintOf } from '@hvs/pki';
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';

export interface CertificateRecord {
  node: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

export interface CertificateRecords {
  put(node: string, certificatePem: string): Promise<void>;
  list(): Promise<CertificateRecord[]>;
}

export const CERTIFICATE_PREFIX = '/hvs/v1/pki/certificates/';

export function certificateRecord(node: string, certificatePem: string): CertificateRecord {
  const c = new X509Certificate(certificatePem);
  return {
    node, subject: c.subject, fingerprint: fingerprintOf(c),
    notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString(),
  };
}

export class EtcdCertificateRecords implements CertificateRecords {
  constructor(private readonly connection: EtcdConnection) {}

  async put(node: string, certificatePem: string): Promise<void> {
    const value = Buffer.from(JSON.stringify(certificateRecord(node, certificatePem)));
    await this.connection.call((o) => this.connection.client.kv.put({ key: Buffer.from(CERTIFICATE_PREFIX + node), value }, o));
  }

  async list(): Promise<CertificateRecord[]> {
    const prefix = Buffer.from(CERTIFICATE_PREFIX);
    const res = await this.connection.call((o) => this.connection.client.kv.range({ key: prefix, range_end: prefixEnd(prefix) }, o));
    return res.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as CertificateRecord).sort((a, b) => a.node.localeCompare(b.node));
  }
}

export class MemoryCertificateRecords implements CertificateRecords {
  private readonly records = new Map<string, CertificateRecord>();

  async put(node: string, certificatePem: string): Promise<void> {
    this.records.set(node, certificateRecord(node, certificatePem));
  }

  async list(): Promise<CertificateRecord[]> {
    return [...this.records.values()].sort((a, b) => a.node.localeCompare(b.node));
  }
}
