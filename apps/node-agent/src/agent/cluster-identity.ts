/**
 * The agent's place in the cluster at start-up (docs/joining.md): load this host's identity
 * from `<stateDir>/pki`, join with the one-time token on first start, then hand out mTLS
 * credentials for the agent's server (clients must present a certificate of the cluster CA),
 * for dialling the controller (verified as `controller.hvs`) and for dialling peers
 * (verified as `<peer>.node.hvs`). Renews the certificate before it expires.
 *
 * Guarantees: the token is read from a file (never argv) and never logged; an agent that
 * names a controller but has no identity and no token refuses to start (it would otherwise
 * talk in the clear); a renewal failure is logged and retried, and never stops the agent
 * (its current certificate stays valid for a third of its life after renewal starts).
 */
import * as fs from 'node:fs';
import type { ServerCredentials } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import type { AgentConfig } from '../config/config';
import type { AgentIdentity, ClientTls, TlsMaterial } from '../pki';

/**
 * The PKI code (@hvs/pki loads @peculiar/x509 and its ASN.1 schemas: ~3 MiB of heap, ~10 MiB RSS)
 * is loaded only once a controller is configured, so a standalone agent never pays for it
 * (docs/node-agent.md, "Resource use").
 */
type Pki = typeof import('../pki');

type Log = { info(o: object, m: string): void; warn(o: object, m: string): void };

/** How often the renewal check runs (it renews only once 2/3 of the certificate's life passed). */
export const RENEW_CHECK_MS = 3_600_000;
/** After a failed renewal: retry sooner than the regular check. */
export const RENEW_RETRY_MS = 60_000;

export class ClusterIdentity {
  private readonly renewals = new Set<() => void>();

  private constructor(readonly identity: AgentIdentity, private readonly controller: string, readonly material: TlsMaterial, private readonly pki: Pki) {}

  /**
   * undefined: standalone agent (no controller configured): it serves without TLS, for
   * development and tests only. Otherwise the host is joined (now, with the token, or before).
   */
  static async establish(config: AgentConfig, log: Log): Promise<ClusterIdentity | undefined> {
    const controller = config.controller;
    if (controller === undefined) {
      log.warn({}, 'no controller configured: serving the agent API WITHOUT TLS (standalone mode, development only)');
      return undefined;
    }
    const pki: Pki = await import('../pki/index.js');
    const identity = await pki.AgentIdentity.loadOrCreate(config.stateDir, config.nodeName);
    if (identity.isJoined()) {
      if (config.joinTokenFile) log.info({ stateDir: config.stateDir }, 'this host already joined the cluster: the join token is not used (delete <stateDir>/pki to join again)');
    } else {
      if (!config.joinTokenFile) throw notJoined(config);
      const token = readToken(config.joinTokenFile);
      log.info({ controller, node: config.nodeName }, `joining the cluster at ${controller} as node ${config.nodeName}`);
      const joined = await pki.join({ controllerAddress: controller, token, identity, agentAddress: config.advertise, ...(config.caHash ? { caHash: config.caHash } : {}) });
      log.info({ node: config.nodeName, expiresAt: joined.expiresAt.toISOString(), caFingerprint: joined.caFingerprint },
        `joined: certificate for node ${config.nodeName} valid until ${joined.expiresAt.toISOString()}, cluster CA sha256 ${joined.caFingerprint.slice(0, 16)}...`);
    }
    return new ClusterIdentity(identity, controller, identity.tlsMaterial(), pki);
  }

  /** The agent's server: every client must present a certificate of the cluster CA. */
  serverCredentials(): ServerCredentials {
    return this.pki.serverCredentialsFrom(this.material, { requireClientCert: true });
  }

  /** Dialling the controller with this node's certificate. */
  controllerTls(): ClientTls {
    return this.pki.clientTlsFrom(this.material, { expectedServerName: this.pki.CONTROLLER_SERVER_NAME });
  }

  /** Dialling a peer agent (PeerCheck): only that node's key can answer. */
  peerTls(peer: string): ClientTls {
    return this.pki.clientTlsFrom(this.material, { expectedServerName: this.pki.nodeServerName(peer) });
  }

  /** The CA callers are checked against (callerIdentity). */
  get caPem(): string {
    return this.material.current.caPem;
  }

  /**
   * Checks now and then every RENEW_CHECK_MS; renews once the certificate needs it. Returns a
   * stop function; stopRenewal() stops every loop started here. `onRenewed` runs after each
   * renewal: the controller accepts the previous certificate only until the new one is first
   * used, so the agent's long-lived connection to it must re-handshake with the new one
   * (docs/joining.md, "Revocation").
   */
  startRenewal(clock: Clock, log: Log, renew: () => Promise<{ expiresAt: Date }> = () => this.pki.renewCertificate(this.controller, this.identity), onRenewed?: () => void): () => void {
    let timer: TimerHandle | undefined;
    let stopped = false;
    const tick = async (): Promise<void> => {
      let next = RENEW_CHECK_MS;
      try {
        if (this.pki.needsRenewal(this.identity.certificatePem!, clock.now())) {
          const r = await renew();
          log.info({ expiresAt: r.expiresAt.toISOString(), fingerprint: this.pki.fingerprintOf(this.identity.certificatePem!).slice(0, 16) }, 'node certificate renewed');
          onRenewed?.();
        }
      } catch (e) {
        next = RENEW_RETRY_MS;
        log.warn({ code: (e as HvsError).code, retryInMs: next }, `renewing the node certificate failed (the current one stays in use): ${(e as Error).message}`);
      }
      if (!stopped) timer = clock.setTimeout(() => void tick(), next);
    };
    const stop = () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      this.renewals.delete(stop);
    };
    this.renewals.add(stop);
    void tick();
    return stop;
  }

  stopRenewal(): void {
    for (const stop of [...this.renewals]) stop();
  }
}

/** The token file's first line; errors name the file, never its content. */
export function readToken(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HvsError({
      code: 'HVS-AGENT-TOKEN-FILE-UNREADABLE', category: 'FailedPrecondition',
      message: `cannot read the join token file ${file}`, why: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      fix: 'write the token `hvctl node token create` printed into that file (mode 0600) and pass its path with --token-file or HVS_JOIN_TOKEN_FILE',
    });
  }
  return text.trim().split('\n')[0]!.trim();
}

function notJoined(config: AgentConfig): HvsError {
  return new HvsError({
    code: 'HVS-AGENT-NOT-JOINED', category: 'FailedPrecondition',
    message: `node ${config.nodeName} has not joined a cluster (no certificate in ${config.stateDir}/pki)`,
    why: 'an agent talks to the controller only over mutual TLS, and gets its certificate by joining once with a token',
    fix: `on the controller run \`hvctl node token create --node ${config.nodeName}\`, save the token to a file (mode 0600) and start the agent with --join ${config.controller} --token-file <file>; see docs/joining.md`,
  });
}
