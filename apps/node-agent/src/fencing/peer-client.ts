import { credentials as grpcCredentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { agentv1 } from '@hvs/proto';

/** Asks one peer agent "can you reach the controller?" (PeerCheck). Rejects when the peer does not answer in time. */
export interface PeerChecker {
  check(peer: agentv1.Peer, fromNode: string, deadlineMs: number): Promise<agentv1.PeerCheckResponse>;
  close(): void;
}

/**
 * PeerCheck over grpc-js, one cached client per address. `credentials` is the mTLS seam:
 * insecure until the agent's identity is wired in (then the peers' certificates are checked
 * against the cluster CA like the controller's).
 */
export function grpcPeerChecker(credentials: () => ChannelCredentials = () => grpcCredentials.createInsecure()): PeerChecker {
  const clients = new Map<string, agentv1.AgentClient>();
  const clientFor = (address: string) => {
    let c = clients.get(address);
    if (!c) {
      c = new agentv1.AgentClient(address, credentials(), { 'grpc.max_reconnect_backoff_ms': 1_000, 'grpc.initial_reconnect_backoff_ms': 200 });
      clients.set(address, c);
    }
    return c;
  };
  return {
    check(peer, fromNode, deadlineMs) {
      return new Promise((resolve, reject) => {
        clientFor(peer.address).peerCheck({ fromNode }, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (e: ServiceError | null, r) => (e ? reject(e) : resolve(r)));
      });
    },
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}
