/**
 * The controller's PKI at run time: the cluster CA from `<dataDir>/pki` (created on first
 * start), a server certificate issued in memory at every start, join tokens in etcd, and the
 * records of the certificates it issued to nodes. It hands out:
 *  - the gRPC API's server credentials (TLS; client certificates requested, not required:
 *    operators and joining agents have none, node-scoped methods check `nodeOf` themselves);
 *  - the dispatcher's dialer: mTLS with the controller's certificate (EKU clientAuth too),
 *    verifying each agent as `<node>.node.hvs`, so only that node's key can answer.
 */
import * as os from 'node:os';
import { isIP } from 'node:net';
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { agentv1 } from '@hvs/proto';
import { clientCredentials, nodeServerName, peerCertificateOf, serverCredentials } from '@hvs/pki';
import { ClusterCa, type ClusterCaOptions, type IssuedServerCertificate, type VerifiedNode } from './cluster-ca';
import { JoinTokens } from './join-tokens';
import type { TokenRepository } from './token-repository';
import type { CertificateRecords } from './certificate-records';
import { peerUntrusted } from './errors';

export interface ClusterPkiOptions {
  dataDir: string;
  /** The gRPC listen host: its name or IP goes into the server certificate. */
  listenHost: string;
  tokens: TokenRepository;
  certificates: CertificateRecords;
  ca?: ClusterCaOptions;
}

/** What a gRPC call carries: grpc-js's auth context. */
export type AuthenticatedCall = Parameters<typeof peerCertificateOf>[0];

export class ClusterPki {
  private constructor(
    readonly ca: ClusterCa,
    readonly server: IssuedServerCertificate,
    readonly tokens: JoinTokens,
    readonly certificates: CertificateRecords,
  ) {}

  static async create(o: ClusterPkiOptions): Promise<ClusterPki> {
    const ca = await ClusterCa.loadOrCreate(o.dataDir, o.ca);
    const server = await ca.issueServerCert(serverNames(o.listenHost));
    return new ClusterPki(ca, server, new JoinTokens(o.tokens, { caFingerprint: ca.fingerprint, now: o.ca?.now }), o.certificates);
  }

  /** TLS for the API port; the chain carries the CA so joining agents can pin it. */
  serverCredentials(): ServerCredentials {
    return serverCredentials(this.ca.certificatePem, this.server.chainPem, this.server.privateKeyPem, { requireClientCert: false });
  }

  /** The dispatcher's AgentDialer: mTLS, the agent must prove it is `node`. */
  readonly dialAgent = (node: string, address: string): agentv1.AgentClient =>
    new agentv1.AgentClient(address, this.agentCredentials(node), {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    });

  /** Channel credentials for dialling the agent of `node` as the controller. */
  agentCredentials(node: string): ChannelCredentials {
    return clientCredentials(this.ca.certificatePem, this.server.certificatePem, this.server.privateKeyPem, { expectedServerName: nodeServerName(node) });
  }

  /**
   * The node a call's client certificate speaks for; undefined when the call has none. A
   * certificate that is present but not a valid node certificate of this CA is an error
   * (HVS-PKI-PEER-UNTRUSTED), never silently treated as "no certificate".
   */
  nodeOf(call: AuthenticatedCall): VerifiedNode | undefined {
    const raw = peerCertificateOf(call);
    if (raw === undefined) return undefined;
    return this.ca.verifyPeer(raw);
  }

  /** Like nodeOf, for calls only a node may make. */
  requireNode(call: AuthenticatedCall, method: string): VerifiedNode {
    const node = this.nodeOf(call);
    if (node === undefined) throw peerUntrusted(`${method} needs the node's client certificate and the call presented none`);
    return node;
  }
}

/** `controller.hvs` is always added by the CA; these are the names people and agents dial. */
export function serverNames(listenHost: string): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost', os.hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  if (listenHost === '0.0.0.0' || listenHost === '::') {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ''));
  } else if (isIP(listenHost)) {
    ips.add(listenHost);
  } else if (listenHost) {
    dns.add(listenHost);
  }
  return { dns: [...dns].filter((d) => /^[A-Za-z0-9.-]+$/.test(d)), ips: [...ips] };
}
