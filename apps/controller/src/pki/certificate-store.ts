/**
 * Where the controller keeps what it issued to each node: one record per node at
 * `/hvs/v1/pki/certificates/<node>` holding the public facts (subject, validity, fingerprint,
 * never a key) of the node's current certificate, of the previous one while a renewal is not
 * yet confirmed, and the fingerprints it retired (so a refusal can say why). The rules that
 * use these records are in node-certificates.ts; this file only reads and writes them.
 *
 * Every read returns the record's version and whether the Node object exists, from one etcd
 * transaction (a linearizable read), and every write is compare-and-swap on that version.
 */
import { X509Certificate } from 'node:crypto';
import { fingerprintOf } from '@hvs/pki';
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';
import { objectKey } from '../store/objects';

/** Public facts of one issued certificate. */
export interface CertificateRecord {
  node: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

export type RetiredReason = 'replaced' | 'superseded' | 'deleted';

export interface NodeCertificateState {
  node: string;
  current: CertificateRecord;
  /** The certificate the node renewed from, accepted until `current` is first used. */
  previous?: CertificateRecord;
  /** Newest first, at most RETIRED_KEPT: only to explain a refusal. */
  retired?: { fingerprint: string; reason: RetiredReason; at: string }[];
}

export interface CertificateRead {
  state: NodeCertificateState | undefined;
  /** Opaque; '0' when there is no record. */
  version: string;
  nodeExists: boolean;
}

export interface NodeCertificateStore {
  read(node: string): Promise<CertificateRead>;
  /** Compare-and-swap on `version` ('0': create only); false when someone wrote in between. */
  write(state: NodeCertificateState, version: string): Promise<boolean>;
  /** Deletes the record only while no Node of that name exists; true when it deleted one. */
  removeIfNodeGone(node: string): Promise<boolean>;
  list(): Promise<NodeCertificateState[]>;
}

export const CERTIFICATE_PREFIX = '/hvs/v1/pki/certificates/';

export function certificateRecord(node: string, certificatePem: string | Buffer): CertificateRecord {
  const c = new X509Certificate(certificatePem);
  return {
    node, subject: c.subject, fingerprint: fingerprintOf(c),
    notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString(),
  };
}

/** Records written before revocation held only the current certificate's facts at the top level. */
export function decodeState(text: string): NodeCertificateState {
  const v = JSON.parse(text) as NodeCertificateState | CertificateRecord;
  return 'current' in v ? v : { node: v.node, current: v };
}

export class EtcdCertificateStore implements NodeCertificateStore {
  constructor(private readonly connection: EtcdConnection) {}

  private get kv() {
    return this.connection.client.kv;
  }

  async read(node: string): Promise<CertificateRead> {
    const record = Buffer.from(CERTIFICATE_PREFIX + node);
    const nodeKey = Buffer.from(objectKey('Node', node));
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [],
      success: [{ request_range: { key: record } }, { request_range: { key: nodeKey, keys_only: true } }],
    }, o));
    const kv = res.responses[0]?.response_range?.kvs[0];
    return {
      state: kv && decodeState(kv.value.toString('utf8')),
      version: kv?.mod_revision ?? '0',
      nodeExists: (res.responses[1]?.response_range?.kvs.length ?? 0) > 0,
    };
  }

  async write(state: NodeCertificateState, version: string): Promise<boolean> {
    const key = Buffer.from(CERTIFICATE_PREFIX + state.node);
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [version === '0'
        ? { key, target: 'Create', result: 'Equal', create_revision: 0 }
        : { key, target: 'Mod', result: 'Equal', mod_revision: version }],
      success: [{ request_put: { key, value: Buffer.from(JSON.stringify(state)) } }],
    }, o));
    return res.succeeded;
  }

  async removeIfNodeGone(node: string): Promise<boolean> {
    const key = Buffer.from(CERTIFICATE_PREFIX + node);
    const res = await this.connection.call((o) => this.kv.txn({
      compare: [{ key: Buffer.from(objectKey('Node', node)), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_delete_range: { key } }],
    }, o));
    return res.succeeded && Number(res.responses[0]?.response_delete_range?.deleted ?? 0) > 0;
  }

  async list(): Promise<NodeCertificateState[]> {
    const prefix = Buffer.from(CERTIFICATE_PREFIX);
    const res = await this.connection.call((o) => this.kv.range({ key: prefix, range_end: prefixEnd(prefix) }, o));
    return res.kvs.map((kv) => decodeState(kv.value.toString('utf8')));
  }
}

/** For unit tests: `nodeExists` stands in for the Node objects. */
export class MemoryCertificateStore implements NodeCertificateStore {
  private readonly records = new Map<string, { state: NodeCertificateState; version: number }>();
  private version = 0;

  constructor(private readonly nodeExists: (node: string) => boolean = () => true) {}

  async read(node: string): Promise<CertificateRead> {
    const r = this.records.get(node);
    return { state: r && structuredClone(r.state), version: String(r?.version ?? 0), nodeExists: this.nodeExists(node) };
  }

  async write(state: NodeCertificateState, version: string): Promise<boolean> {
    if (String(this.records.get(state.node)?.version ?? 0) !== version) return false;
    this.records.set(state.node, { state: structuredClone(state), version: ++this.version });
    return true;
  }

  async removeIfNodeGone(node: string): Promise<boolean> {
    return !this.nodeExists(node) && this.records.delete(node);
  }

  async list(): Promise<NodeCertificateState[]> {
    return [...this.records.values()].map((r) => structuredClone(r.state));
  }
}
