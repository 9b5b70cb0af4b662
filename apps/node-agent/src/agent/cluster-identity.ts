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
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { HvsError } from '@hvs/domain';
import type { Clock, TimerHandle } from '@hvs/reconcile';
import type { AgentConfig } from '../config/config';
import {
  AgentIdentity, CONTROLLER_SERVER_NAME, clientCredentialsFrom, fingerprintOf, join, needsRenewal, nodeServerName, renewCertificate, serverCredentialsFrom,
  type TlsMaterial,
} from '../pki';

type Log = { info(o: object, m: string): void; warn(o: object, m: string): void };

/** How often the renewal check runs (it renews only once 2/3 of the certificate's life passed). */
export const RENEW_CHECK_MS = 3_600_000;
/** After a failed renewal: retry sooner than the regular check. */
export const RENEW_RETRY_MS = 60_000;

export class ClusterIdentity {
  private timer: TimerHandle | undefined;
  private stopped = false;

  private constructor(readonly identity: AgentIdentity, private readonly controller: string, readonly material: TlsMaterial) {}

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
    const identity = await AgentIdentity.loadOrCreate(config.stateDir, config.nodeName);
    if (identity.isJoined()) {
      if (config.joinTokenFile) log.info({ stateDir: config.stateDir }, 'this host already joined the cluster: the join token is not used (delete <stateDir>/pki to join again)');
    } else {
      if (!config.joinTokenFile) throw notJoined(config);
      const token = readToken(config.joinTokenFile);
      log.info({ controller, node: config.nodeName }, `joining the cluster at ${controller} as node ${config.nodeName}`);
      const joined = await join({ controllerAddress: controller, token, identity, agentAddress: config.advertise, ...(config.caHash ? { caHash: config.caHash } : {}) });
      log.info({ node: config.nodeName, expiresAt: joined.expiresAt.toISOString(), caFingerprint: joined.caFingerprint },
        `joined: certificate for node ${config.nodeName} valid until ${joined.expiresAt.toISOString()}, cluster CA sha256 ${joined.caFingerprint.slice(0, 16)}...`);
    }
    return new ClusterIdentity(identity, controller, identity.tlsMaterial());
  }

  /** The agent's server: every client must present a certificate of the cluster CA. */
  serverCredentials(): ServerCredentials {
    return serverCredentialsFrom(this.material, { requireClientCert: true });
  }

  /** Dialling the controller with this node's certificate. */
  controllerCredentials(): ChannelCredentials {
    return clientCredentialsFrom(this.material, { expectedServerName: CONTROLLER_SERVER_NAME });
  }

  /** Dialling a peer agent (PeerCheck): only that node's key can answer. */
  peerCredentials(peer: string): ChannelCredentials {
    return clientCredentialsFrom(this.material, { expectedServerName: nodeServerName(peer) });
  }

  /** The CA callers are checked against (callerIdentity). */
  get caPem(): string {
    return this.material.current.caPem;
  }

  /** Checks now and then every RENEW_CHECK_MS; renews once the certificate needs it. */
  startRenewal(clock: Clock, log: Log, renew: () => Promise<{ expiresAt: Date }> = () => renewCertificate(this.controller, this.identity)): void {
    const tick = async (): Promise<void> => {
      let next = RENEW_CHECK_MS;
      try {
        if (needsRenewal(this.identity.certificatePem!, clock.now())) {
          const r = await renew();
          log.info({ expiresAt: r.expiresAt.toISOString(), fingerprint: fingerprintOf(this.identity.certificatePem!).slice(0, 16) }, 'node certificate renewed');
        }
      } catch (e) {
        next = RENEW_RETRY_MS;
        log.warn({ code: (e as HvsError).code, retryInMs: next }, `renewing the node certificate failed (the current one stays in use): ${(e as Error).message}`);
      }
      if (!this.stopped) this.timer = clock.setTimeout(() => void tick(), next);
    };
    void tick();
  }

  stopRenewal(clock: Clock): void {
    this.stopped = true;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
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
