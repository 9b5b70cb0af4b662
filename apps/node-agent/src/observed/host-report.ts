import type { HostFacts } from '../hypervisor';
import type { PoolUsage } from '../storage/volume-set';

/**
 * What the agent reports about its host (RegisterNode, Watch snapshots): the driver's facts
 * plus pool usage. grpc/host-facts.ts turns it into the wire HostFacts.
 */
export interface HostReport {
  facts: HostFacts;
  pools: PoolUsage[];
  agentVersion: string;
  /** uname -r of the host. */
  kernel: string;
  /** The host's own IPv4 routes and addresses as CIDRs (host-routes.ts); absent: not read. */
  ipv4Routes?: string[];
}
