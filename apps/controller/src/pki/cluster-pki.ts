/**
 * The controller's PKI at run time: the cluster CA from `<dataDir>/pki` (created on first
 * start), a server certificate issued in memory at every start and renewed in place once 2/3
 * of its life passed (checked hourly; new handshakes present the new one, no restart), join
 * tokens in etcd, and the records of the certificates it issued to nodes (NodeCertificates:
 * which of them are still accepted). It hands out:
 *  - the gRPC API's server credentials (TLS; client certificates requested, not required:
 *    joining agents and bearer-token callers have none; the identity edge checks those sent,
 *    node certificates through NodeCertificates.verify);
 *  - the dispatcher's dialer: mTLS with the controller's certificate (EKU clientAuth too),
 *    verifying each agent as `<node>.node.hvs`, so only that node's key can answer.
 */
import * as os from 'node:os';
import { isIP } from 'node:net';
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { agentv1 } from '@hvs/proto';
import { clientCredentialsFrom, needsRenewal, nodeServerName, serverCredentialsFrom, serverNameOptions, TlsMaterial } from '@hvs/pki';
import { ClusterCa, type ClusterCaOptions, type IssuedServerCertificate } from './cluster-ca';
import { JoinTokens, type JoinTokenLimits } from './join-tokens';
import type { TokenRepository } from './token-repository';
import type { NodeCertificateStore } from './certificate-store';
import { NodeCertificates } from './node-certificates';

export interface ClusterPkiOptions {
  dataDir: string;
  /** The gRPC listen host: its name or IP goes into the server certificate. */
  listenHost: string;
  /** More listen hosts the certificate must name (the HTTP port's, which serves it too). */
  alsoHosts?: readonly string[];
  tokens: TokenRepository;
  certificates: NodeCertificateStore;
  ca?: ClusterCaOptions;
  /** Rate limit and cap of join token creation (defaults: join-tokens.ts). */
  tokenLimits?: JoinTokenLimits;
}

/** How often the controller checks whether its own certificate needs renewing. */
export const SERVER_RENEW_CHECK_MS = 3_600_000;

type RenewLog = { info(o: object, m: string): void; warn(o: object, m: string): void };

export class ClusterPki {
  /** What the API port presents (chain: leaf + CA). */
  private readonly serving: TlsMaterial;
  /** What the controller presents when it dials agents (the leaf). */
  private readonly dialling: TlsMaterial;
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly ca: ClusterCa,
    private current: IssuedServerCertificate,
    private readonly names: { dns: string[]; ips: string[] },
    readonly tokens: JoinTokens,
    readonly certificates: NodeCertificates,
    private readonly now: () => number,
  ) {
    this.serving = new TlsMaterial({ caPem: ca.certificatePem, certPem: current.chainPem, keyPem: current.privateKeyPem });
    this.dialling = new TlsMaterial({ caPem: ca.certificatePem, certPem: current.certificatePem, keyPem: current.privateKeyPem });
  }

  static async create(o: ClusterPkiOptions): Promise<ClusterPki> {
    const ca = await ClusterCa.loadOrCreate(o.dataDir, o.ca);
    const names = serverNames(o.listenHost, ...(o.alsoHosts ?? []));
    const server = await ca.issueServerCert(names);
    const now = o.ca?.now ?? Date.now;
    const tokens = new JoinTokens(o.tokens, { caFingerprint: ca.fingerprint, now, ...o.tokenLimits });
    return new ClusterPki(ca, server, names, tokens, new NodeCertificates(ca, o.certificates, now), now);
  }

  /** The controller's certificate in use now. */
  get server(): IssuedServerCertificate {
    return this.current;
  }

  /** What the API ports present now (chain, key, CA); its listeners hear of every renewal (the HTTP port follows them). */
  get servingTls(): TlsMaterial {
    return this.serving;
  }

  /** TLS for the API port; the chain carries the CA so joining agents can pin it. Follows renewals. */
  serverCredentials(): ServerCredentials {
    return serverCredentialsFrom(this.serving, { requireClientCert: false });
  }

  /**
   * Issues the controller a new certificate (same names, fresh key) once 2/3 of the current
   * one's life passed; new TLS handshakes, served and dialled, use it at once. Established
   * connections keep theirs. Returns whether it renewed.
   */
  async renewServerCertificateIfDue(): Promise<boolean> {
    if (!needsRenewal(this.current.certificatePem, this.now())) return false;
    const next = await this.ca.issueServerCert(this.names);
    this.current = next;
    this.serving.update({ certPem: next.chainPem, keyPem: next.privateKeyPem });
    this.dialling.update({ certPem: next.certificatePem, keyPem: next.privateKeyPem });
    return true;
  }

  /** Checks every SERVER_RENEW_CHECK_MS (and once now); a failure is logged and retried at the next check. */
  startRenewal(log: RenewLog, everyMs = SERVER_RENEW_CHECK_MS): void {
    const check = async () => {
      try {
        if (await this.renewServerCertificateIfDue()) {
          log.info({ component: 'pki', expiresAt: this.current.expiresAt.toISOString() }, 'controller certificate renewed');
        }
      } catch (err) {
        log.warn({ component: 'pki', err }, 'renewing the controller certificate failed; the current one stays in use, retrying at the next check');
      }
    };
    this.stopRenewal();
    this.renewTimer = setInterval(() => void check(), everyMs);
    this.renewTimer.unref();
    void check();
  }

  stopRenewal(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** The dispatcher's AgentDialer: mTLS, the agent must prove it is `node`. */
  readonly dialAgent = (node: string, address: string): agentv1.AgentClient =>
    new agentv1.AgentClient(address, this.agentCredentials(node), {
      ...serverNameOptions(nodeServerName(node)),
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    });

  /** Channel credentials for dialling the agent of `node` as the controller. */
  agentCredentials(node: string): ChannelCredentials {
    return clientCredentialsFrom(this.dialling, { expectedServerName: nodeServerName(node) });
  }
}

/** `controller.hvs` is always added by the CA; these are the names people and agents dial. */
export function serverNames(...listenHosts: string[]): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost', os.hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const listenHost of listenHosts) {
    if (listenHost === '0.0.0.0' || listenHost === '::') {
      for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ''));
    } else if (isIP(listenHost)) {
      ips.add(listenHost);
    } else if (listenHost) {
      dns.add(listenHost);
    }
  }
  return { dns: [...dns].filter((d) => /^[A-Za-z0-9.-]+$/.test(d)), ips: [...ips] };
}
