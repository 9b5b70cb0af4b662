import { credentials as grpcCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { ClientTls } from '@hvs/pki';
import { agentv1 } from '@hvs/proto';
import type { Peer } from './fence-state';

/** A peer's answer to "can you reach the controller?". */
export interface PeerStatus {
  node: string;
  controllerReachable: boolean;
  /** ms since the peer last heard from the controller; -1: never. */
  lastContactMs: number;
}

/** Asks one peer agent "can you reach the controller?" (PeerCheck). Rejects when the peer does not answer in time. */
export interface PeerChecker {
  check(peer: Peer, fromNode: string, deadlineMs: number): Promise<PeerStatus>;
  close(): void;
}

/**
 * PeerCheck over grpc-js, one cached client per peer and address. `tls(peer)` is the
 * mTLS seam: the agent passes its cluster identity's peer credentials (its node certificate,
 * the peer verified as `<peer>.node.hvs` against the cluster CA); insecure only without one.
 */
export function grpcPeerChecker(tls: (peer: string) => ClientTls = () => ({ credentials: grpcCredentials.createInsecure(), options: {} })): PeerChecker {
  const clients = new Map<string, agentv1.AgentClient>();
  const clientFor = (peer: Peer) => {
    const key = `${peer.node}@${peer.address}`;
    let c = clients.get(key);
    if (!c) {
      const { credentials, options } = tls(peer.node);
      c = new agentv1.AgentClient(peer.address, credentials, { ...options, 'grpc.max_reconnect_backoff_ms': 1_000, 'grpc.initial_reconnect_backoff_ms': 200 });
      clients.set(key, c);
    }
    return c;
  };
  return {
    check(peer, fromNode, deadlineMs) {
      return new Promise((resolve, reject) => {
        clientFor(peer).peerCheck({ fromNode }, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (e: ServiceError | null, r) => (e ? reject(e) : resolve(r)));
      });
    },
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}
