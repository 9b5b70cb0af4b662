/**
 * Revocation of node certificates (docs/joining.md, "Revocation"). The controller accepts only
 * the recorded certificates of a node that still exists:
 *  - its current certificate;
 *  - during a renewal, the previous one, until the new one is first used (agents renew at 2/3
 *    of a certificate's life and reconnect with the new one; calls still in flight on the old
 *    connection keep working until then);
 *  - nothing once the Node object is gone, or once the node was replaced (a join with a
 *    `--replace` token): those refusals take effect on the next call, because `verify` reads
 *    the record and the Node's existence from etcd in one linearizable transaction per call
 *    (no cache that could lag behind a delete; ~0.5 ms on a local etcd, docs/joining.md).
 *
 * `verify` is the one entry point the API's authentication edge calls for a node's client
 * certificate; it throws HVS-PKI-PEER-UNTRUSTED with the reason (revoked: node deleted,
 * replaced, superseded by a newer certificate).
 */
import type { ClusterCa, VerifiedNode } from './cluster-ca';
import { certificateRecord, type CertificateRecord, type NodeCertificateState, type NodeCertificateStore, type RetiredReason } from './certificate-store';
import { peerUntrusted } from './errors';

/** How many retired fingerprints a record keeps to explain refusals. */
export const RETIRED_KEPT = 8;
/** Compare-and-swap attempts of one record update before giving up (concurrent joins of one name). */
const WRITE_ATTEMPTS = 5;

/**
 * `presented`: fingerprint of the certificate the renewing node called with; it stays accepted
 * as `previous`. Without it the current one does (right unless the node renewed twice from an
 * older certificate after a lost answer).
 */
export type IssuedHow = { at: 'join'; replace: boolean } | { at: 'renewal'; presented?: string };

export class NodeCertificates {
  constructor(
    private readonly ca: ClusterCa,
    private readonly store: NodeCertificateStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The node a client certificate speaks for, if it is one the controller still accepts.
   * Chain, validity and name first (ClusterCa.verifyPeer), then the node's record.
   */
  async verify(cert: string | Buffer): Promise<VerifiedNode> {
    const peer = this.ca.verifyPeer(cert);
    const { state, version, nodeExists } = await this.store.read(peer.node);
    const node = peer.node;
    if (!nodeExists) throw revoked(node, `revoked: node deleted (there is no node "${node}")`);
    if (state === undefined) throw revoked(node, `revoked: no certificate is recorded for node "${node}"`);
    if (peer.fingerprint === state.current.fingerprint) {
      // First use of the renewed certificate: the previous one stops working from now on.
      if (state.previous !== undefined) await this.store.write(retire(state, [state.previous], 'superseded', this.now(), { previous: undefined }), version);
      return peer;
    }
    if (peer.fingerprint === state.previous?.fingerprint) return peer;
    const reason = state.retired?.find((r) => r.fingerprint === peer.fingerprint)?.reason;
    throw revoked(node, reason === undefined ? `revoked: it is not a certificate recorded for node "${node}"` : REASONS[reason](node));
  }

  /**
   * Records a certificate just issued to `node`. At a join it becomes the only accepted one
   * (what the record held before is retired: replaced, or left from a deleted node); at a
   * renewal the certificate the node presented stays accepted as `previous`.
   */
  async issued(node: string, certificatePem: string, how: IssuedHow): Promise<void> {
    const fresh = certificateRecord(node, certificatePem);
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.store.read(node);
      const next = state === undefined
        ? { node, current: fresh }
        : how.at === 'join'
          ? retire(state, [state.current, state.previous], how.replace ? 'replaced' : 'deleted', this.now(), { current: fresh, previous: undefined })
          : renewed(state, fresh, how.presented, this.now());
      if (await this.store.write(next, version)) return;
      if (attempt >= WRITE_ATTEMPTS) throw new Error(`the certificate record of node ${node} kept changing while it was being written`);
    }
  }

  /** Drops the node's record once its Node object is gone (no-op while it exists). */
  forget(node: string): Promise<boolean> {
    return this.store.removeIfNodeGone(node);
  }

  /** The current certificate of each node, by node name. */
  async list(): Promise<CertificateRecord[]> {
    return (await this.store.list()).map((s) => s.current).sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Every node that has a record (the clean-up compares this with the Node objects). */
  async recordedNodes(): Promise<string[]> {
    return (await this.store.list()).map((s) => s.node);
  }
}

const REASONS: Record<RetiredReason, (node: string) => string> = {
  replaced: (node) => `revoked: replaced (node "${node}" was joined again with a --replace token after this certificate was issued)`,
  superseded: (node) => `superseded by a newer certificate (node "${node}" renewed and has used its new certificate since)`,
  deleted: (node) => `revoked: node deleted (node "${node}" was deleted and joined again after this certificate was issued)`,
};

function revoked(node: string, why: string) {
  return peerUntrusted(why, `if this host should be node ${node}: restart its agent (it presents its newest certificate), or re-join it: `
    + `\`hvctl node token create --node ${node} --replace\`, delete the agent's <stateDir>/pki and start it with the new token (docs/joining.md)`);
}

/** The renewal's record: the presented certificate stays as `previous`; anything else accepted before is retired. */
function renewed(state: NodeCertificateState, fresh: CertificateRecord, presented: string | undefined, now: number): NodeCertificateState {
  const kept = presented === undefined ? state.current : [state.current, state.previous].find((c) => c?.fingerprint === presented);
  const dropped = [state.current, state.previous].filter((c) => c !== undefined && c !== kept);
  return retire(state, dropped, 'superseded', now, { current: fresh, previous: kept });
}

function retire(state: NodeCertificateState, certs: (CertificateRecord | undefined)[], reason: RetiredReason, now: number, change: Partial<NodeCertificateState>): NodeCertificateState {
  const at = new Date(now).toISOString();
  const added = certs.filter((c): c is CertificateRecord => c !== undefined).map((c) => ({ fingerprint: c.fingerprint, reason, at }));
  const next: NodeCertificateState = { ...state, ...change, retired: [...added, ...(state.retired ?? [])].slice(0, RETIRED_KEPT) };
  if (next.previous === undefined) delete next.previous;
  return next;
}
